import { Link, useLocation } from 'react-router';
import {
  ForgotPasswordForm,
  ResetPasswordForm,
  tokenFromHash,
} from '@/features/account/components/password-reset';
import { AuthLayout } from '@/features/auth/components/auth-layout';

const backToLogin = (
  <Link to="/login" className="font-semibold text-indigo-600 hover:text-indigo-500">
    Back to sign in
  </Link>
);

export function ForgotPasswordRoute() {
  return (
    <AuthLayout
      title="Forgot your password?"
      subtitle="We mail you a link to choose a new one."
      footer={backToLogin}
    >
      <ForgotPasswordForm />
    </AuthLayout>
  );
}

export function ResetPasswordRoute() {
  const location = useLocation();
  return (
    <AuthLayout title="Choose a new password" subtitle="The link works once." footer={backToLogin}>
      <ResetPasswordForm token={tokenFromHash(location.hash)} />
    </AuthLayout>
  );
}
