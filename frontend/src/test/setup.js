import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { toast } from '@/components/ui/toast';

afterEach(() => {
  cleanup();
  localStorage.clear();
  toast.clear();
});
