import { Link, useLocation, useNavigate } from 'react-router';
import { AuthLayout } from '@/features/auth/components/auth-layout';
import { LoginForm } from '@/features/auth/components/login-form';
import { homeFor, useAuth } from '@/lib/auth';

export function LoginRoute() {
  const location = useLocation();
  const navigate = useNavigate();
  const { notice } = useAuth();
  const message = location.state?.message || notice;
  const from = location.state?.from;
  // The session proxy sends a signed-out browser here with ?next=/sessions/<id>/.
  const next = new URLSearchParams(location.search).get('next');
  const sessionPage = next && /^\/sessions\/\d+\//.test(next) ? next : null;
  return (
    <AuthLayout
      title="Sign in"
      subtitle="Use your lab account."
      footer={
        <>
          <Link
            to="/forgot-password"
            className="mb-2 block font-semibold text-indigo-600 hover:text-indigo-500"
          >
            Forgot your password?
          </Link>
          New here?{' '}
          <Link to="/register" className="font-semibold text-indigo-600 hover:text-indigo-500">
            Create a student account
          </Link>
        </>
      }
    >
      {message && (
        <p
          role="status"
          className="mb-4 rounded-lg border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-900"
        >
          {message}
        </p>
      )}
      <LoginForm
        onSuccess={({ user }) => {
          if (sessionPage) {
            window.location.assign(sessionPage); // served by the proxy, not by this app
            return;
          }
          const home = homeFor(user);
          const back = from && from !== '/' && from.startsWith(home) ? from : home;
          navigate(back, { replace: true });
        }}
      />
    </AuthLayout>
  );
}
