import {
  CalendarFeedSettings,
  ChangePasswordForm,
  LabFeedSettings,
  NotificationSettings,
} from '@/features/account/components/profile-settings';
import { useAgents } from '@/features/agents/api/get-agents';
import { useAuth } from '@/lib/auth';

function AdminFeeds() {
  const agents = useAgents();
  return <LabFeedSettings nodes={agents.data?.items || []} />;
}

export function ProfileRoute() {
  const { user } = useAuth();
  return (
    <div className="mx-auto max-w-2xl space-y-5">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900">Profile</h1>
      <NotificationSettings />
      <CalendarFeedSettings />
      {user?.role === 'admin' && <AdminFeeds />}
      <ChangePasswordForm />
    </div>
  );
}
