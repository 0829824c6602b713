import {
  CalendarFeedSettings,
  ChangePasswordForm,
  LabFeedSettings,
  NotificationSettings,
} from '@/features/account/components/profile-settings';
import { useAuth } from '@/lib/auth';

export function ProfileRoute() {
  const { user } = useAuth();
  return (
    <div className="mx-auto max-w-2xl space-y-5">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900">Profile</h1>
      <NotificationSettings />
      <CalendarFeedSettings />
      {user?.role === 'admin' && <LabFeedSettings />}
      <ChangePasswordForm />
    </div>
  );
}
