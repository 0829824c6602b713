import { NavLink, Outlet } from 'react-router';
import { Button } from '@/components/ui/button';
import { cn } from '@/components/ui/cn';
import { useMe } from '@/features/auth/api/get-me';
import { useLogout } from '@/features/auth/api/logout';
import { useAuth } from '@/lib/auth';

const ADMIN_TABS = [
  { to: '/admin', label: 'Overview', end: true },
  { to: '/admin/bookings', label: 'Bookings' },
  { to: '/admin/nodes', label: 'Nodes' },
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/policies', label: 'Policies' },
];

export function AppLayout({ admin = false }) {
  const { user } = useAuth();
  const logout = useLogout();
  useMe();
  return (
    <div className="min-h-dvh">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-200 bg-white/85 backdrop-blur">
        <div className="mx-auto flex h-16 max-w-7xl items-center gap-3 px-4 sm:px-6">
          <a href={admin ? '/admin' : '/'} className="flex shrink-0 items-center gap-2">
            <img src="/favicon.svg" alt="" className="size-7" />
            <span className="hidden font-bold text-slate-900 sm:inline">Lab Compute</span>
          </a>
          {admin && <AdminTabs className="ml-4 hidden sm:flex" />}
          <div className="ml-auto flex items-center gap-2 sm:gap-3">
            <div className="hidden text-right sm:block">
              <p
                className="text-sm leading-tight font-medium text-slate-900"
                data-testid="current-user"
              >
                {user?.username}
              </p>
              <p className="text-xs leading-tight text-slate-500 capitalize">{user?.role}</p>
            </div>
            <span
              className="flex size-8 items-center justify-center rounded-full bg-indigo-100 text-sm font-bold text-indigo-700 uppercase sm:hidden"
              aria-hidden
            >
              {user?.username?.[0]}
            </span>
            <NavLink
              to={admin ? '/admin/profile' : '/profile'}
              className="rounded px-2 py-1 text-sm font-medium text-slate-600 hover:text-slate-900"
            >
              Profile
            </NavLink>
            <Button
              variant="secondary"
              size="sm"
              className="whitespace-nowrap"
              onClick={() => logout.mutate()}
              loading={logout.isPending}
            >
              Sign out
            </Button>
          </div>
        </div>
        {admin && <AdminTabs className="flex border-t border-slate-100 px-3 py-1.5 sm:hidden" />}
      </header>
      <main id="main" className="mx-auto max-w-7xl px-3 py-5 sm:px-6 sm:py-8">
        <Outlet />
      </main>
    </div>
  );
}

function AdminTabs({ className }) {
  return (
    <nav aria-label="Admin sections" className={cn('gap-1 overflow-x-auto', className)}>
      {ADMIN_TABS.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          end={tab.end}
          className={({ isActive }) =>
            cn(
              'rounded-lg px-2.5 py-1.5 text-sm font-medium whitespace-nowrap',
              isActive
                ? 'bg-indigo-50 text-indigo-700'
                : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900',
            )
          }
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
