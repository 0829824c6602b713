import { Link, useNavigate } from 'react-router';
import { AuthLayout } from '@/features/auth/components/auth-layout';
import { RegisterForm } from '@/features/auth/components/register-form';
import { homeFor } from '@/lib/auth';

export function RegisterRoute() {
  const navigate = useNavigate();
  return (
    <AuthLayout
      title="Create your account"
      subtitle="Students can book compute as soon as they sign up."
      footer={
        <>
          Already registered?{' '}
          <Link to="/login" className="font-semibold text-indigo-600 hover:text-indigo-500">
            Sign in
          </Link>
        </>
      }
    >
      <RegisterForm onSuccess={({ user }) => navigate(homeFor(user), { replace: true })} />
    </AuthLayout>
  );
}
