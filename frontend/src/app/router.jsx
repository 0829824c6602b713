import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { LoadingBlock } from '@/components/ui/spinner';
import { RedirectIfSignedIn, RequireRole } from '@/lib/authorization';
import { AppLayout } from './layout';
import { LoginRoute } from './routes/login';
import { NotFoundRoute } from './routes/not-found';
import { RegisterRoute } from './routes/register';
import { StudentDashboardRoute } from './routes/student-dashboard';

// The admin pages (and recharts) load only for admins.
const AdminOverviewRoute = lazy(() => import('./routes/admin/overview'));
const AdminBookingsRoute = lazy(() => import('./routes/admin/bookings'));
const AdminNodesRoute = lazy(() => import('./routes/admin/nodes'));
const AdminUsersRoute = lazy(() => import('./routes/admin/users'));

const page = (element) => <Suspense fallback={<LoadingBlock />}>{element}</Suspense>;

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
      </Route>
      <Route
        path="/admin"
        element={
          <RequireRole roles={['admin']}>
            <AppLayout admin />
          </RequireRole>
        }
      >
        <Route index element={page(<AdminOverviewRoute />)} />
        <Route path="bookings" element={page(<AdminBookingsRoute />)} />
        <Route path="nodes" element={page(<AdminNodesRoute />)} />
        <Route path="users" element={page(<AdminUsersRoute />)} />
      </Route>
      <Route path="*" element={<NotFoundRoute />} />
    </Routes>
  );
}
