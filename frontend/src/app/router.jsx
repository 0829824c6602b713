import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { LoadingBlock } from '@/components/ui/spinner';
import { RedirectIfSignedIn, RequireRole } from '@/lib/authorization';
import { AppLayout } from './layout';

/**
 * Every page is its own chunk, loaded when it is first visited: the login page
 * does not carry the dashboards, nor a student the admin pages (bench/bundle_size.py
 * measures each route). Add a page the same way, never with a static import:
 *   const FooRoute = lazyPage(() => import('./routes/foo'));            // default export
 *   const BarRoute = lazyPage(() => import('./routes/bar'), 'BarRoute'); // named export
 */
function lazyPage(load, name = 'default') {
  const Page = lazy(() => load().then((module) => ({ default: module[name] })));
  return function LazyPage(props) {
    return (
      <Suspense fallback={<LoadingBlock />}>
        <Page {...props} />
      </Suspense>
    );
  };
}

const LoginRoute = lazyPage(() => import('./routes/login'), 'LoginRoute');
const RegisterRoute = lazyPage(() => import('./routes/register'), 'RegisterRoute');
const NotFoundRoute = lazyPage(() => import('./routes/not-found'), 'NotFoundRoute');
const ProfileRoute = lazyPage(() => import('./routes/profile'), 'ProfileRoute');
const ForgotPasswordRoute = lazyPage(
  () => import('./routes/password-reset'),
  'ForgotPasswordRoute',
);
const ResetPasswordRoute = lazyPage(() => import('./routes/password-reset'), 'ResetPasswordRoute');
const StudentDashboardRoute = lazyPage(
  () => import('./routes/student-dashboard'),
  'StudentDashboardRoute',
);
const AdminOverviewRoute = lazyPage(() => import('./routes/admin/overview'));
const AdminBookingsRoute = lazyPage(() => import('./routes/admin/bookings'));
const AdminNodesRoute = lazyPage(() => import('./routes/admin/nodes'));
const AdminUsersRoute = lazyPage(() => import('./routes/admin/users'));
const AdminPoliciesRoute = lazyPage(() => import('./routes/admin/policies'));

export function AppRoutes() {
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <RedirectIfSignedIn>
            <LoginRoute />
          </RedirectIfSignedIn>
        }
      />
      <Route
        path="/register"
        element={
          <RedirectIfSignedIn>
            <RegisterRoute />
          </RedirectIfSignedIn>
        }
      />
      <Route
        element={
          <RequireRole roles={['student']}>
            <AppLayout />
          </RequireRole>
        }
      >
        <Route index element={<StudentDashboardRoute />} />
        <Route path="profile" element={<ProfileRoute />} />
      </Route>
      <Route
        path="/admin"
        element={
          <RequireRole roles={['admin']}>
            <AppLayout admin />
          </RequireRole>
        }
      >
        <Route index element={<AdminOverviewRoute />} />
        <Route path="bookings" element={<AdminBookingsRoute />} />
        <Route path="nodes" element={<AdminNodesRoute />} />
        <Route path="users" element={<AdminUsersRoute />} />
        <Route path="policies" element={<AdminPoliciesRoute />} />
        <Route path="profile" element={<ProfileRoute />} />
      </Route>
      <Route path="/forgot-password" element={<ForgotPasswordRoute />} />
      <Route path="/reset-password" element={<ResetPasswordRoute />} />
      <Route path="*" element={<NotFoundRoute />} />
    </Routes>
  );
}
