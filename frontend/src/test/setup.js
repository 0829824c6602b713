import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { toast } from '@/components/ui/toast';

// jsdom has no matchMedia; uPlot (the admin chart) asks it for the pixel ratio on import.
window.matchMedia ??= (query) => ({
  matches: false,
  media: query,
  addEventListener() {},
  removeEventListener() {},
});

afterEach(() => {
  cleanup();
  localStorage.clear();
  toast.clear();
});
