import { Navigate, useLocation } from 'react-router';
import { homeFor, useAuth } from './auth';

/**
 * The one role gate. Signed-out visitors go to /login (and come back afterwards);
 * a signed-in user whose role is not allowed goes to their own home page.
 */
export function RequireRole({ roles, children }) {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  if (roles && !roles.includes(user.role)) {
    return <Navigate to={homeFor(user)} replace />;
  }
  return children;
}

/** For /login and /register: a signed-in user is sent home. */
export function RedirectIfSignedIn({ children }) {
  const { user } = useAuth();
  if (user) return <Navigate to={homeFor(user)} replace />;
  return children;
}
