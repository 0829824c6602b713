import { useState } from 'react';
import { Link } from 'react-router';
import { Button } from '@/components/ui/button';
import { FormError, Input } from '@/components/ui/field';
import { fieldErrors } from '@/lib/api-client';
import { forgotPassword, resetPassword } from '../api/account';

function useSubmit(action) {
  const [state, setState] = useState({ pending: false, error: null, result: null });
  const run = async (...args) => {
    setState({ pending: true, error: null, result: null });
    try {
      setState({ pending: false, error: null, result: await action(...args) });
    } catch (error) {
      setState({ pending: false, error, result: null });
    }
  };
  return [state, run];
}

export function ForgotPasswordForm() {
  const [email, setEmail] = useState('');
  const [state, run] = useSubmit(forgotPassword);
  if (state.result) {
    return (
      <p role="status" className="rounded-lg bg-sky-50 px-3 py-2 text-sm text-sky-900">
        {state.result.message}
      </p>
    );
  }
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        run(email.trim());
      }}
    >
      <FormError error={state.error} fields={['email']} />
      <Input
        label="Email address"
        type="email"
        autoComplete="email"
        value={email}
        error={fieldErrors(state.error).email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <Button type="submit" size="lg" className="w-full" loading={state.pending}>
        Send me a reset link
      </Button>
    </form>
  );
}

/** The token comes in the link's fragment (#token=...), which no server ever sees. */
export function tokenFromHash(hash) {
  return new URLSearchParams((hash || '').replace(/^#/, '')).get('token') || '';
}

export function ResetPasswordForm({ token }) {
  const [password, setPassword] = useState('');
  const [state, run] = useSubmit(resetPassword);
  if (!token) {
    return (
      <p className="text-sm text-rose-700">This link has no reset token. Ask for a new link.</p>
    );
  }
  if (state.result) {
    return (
      <p role="status" className="rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
        {state.result.message}{' '}
        <Link to="/login" className="font-semibold underline">
          Sign in
        </Link>
      </p>
    );
  }
  return (
    <form
      noValidate
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        run({ token, newPassword: password });
      }}
    >
      <FormError error={state.error} fields={['new_password', 'token']} />
      <Input
        label="New password"
        type="password"
        autoComplete="new-password"
        value={password}
        error={fieldErrors(state.error).new_password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <Button type="submit" size="lg" className="w-full" loading={state.pending}>
        Set new password
      </Button>
    </form>
  );
}
