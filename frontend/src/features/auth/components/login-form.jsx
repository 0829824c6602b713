import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { FormError, Input } from '@/components/ui/field';
import { fieldErrors } from '@/lib/api-client';
import { useLogin } from '../api/login';
import { useFormFields } from './use-form-fields';

const validators = {
  username: (v) => (v.trim() ? null : 'Enter your username.'),
  password: (v) => (v ? null : 'Enter your password.'),
};

export function LoginForm({ onSuccess }) {
  const form = useFormFields({ username: '', password: '' }, validators);
  const [showPassword, setShowPassword] = useState(false);
  const login = useLogin({
    onSuccess,
    onError: (error) => form.setServerErrors(fieldErrors(error)),
  });

  const submit = (event) => {
    event.preventDefault();
    form.setSubmitted(true);
    if (!form.isValid) return;
    login.mutate({ username: form.values.username.trim(), password: form.values.password });
  };

  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      <FormError error={login.error} fields={['username', 'password']} />
      <Input label="Username" autoComplete="username" autoFocus {...form.bind('username')} />
      <div className="relative">
        <Input
          label="Password"
          type={showPassword ? 'text' : 'password'}
          autoComplete="current-password"
          inputClassName="pr-16"
          {...form.bind('password')}
        />
        <button
          type="button"
          onClick={() => setShowPassword((s) => !s)}
          className="absolute top-7 right-2 rounded px-2 py-1 text-xs font-medium text-slate-500 hover:text-slate-800"
          aria-pressed={showPassword}
          aria-label={showPassword ? 'Hide password' : 'Show password'}
        >
          {showPassword ? 'Hide' : 'Show'}
        </button>
      </div>
      <Button type="submit" size="lg" className="w-full" loading={login.isPending}>
        Sign in
      </Button>
    </form>
  );
}
