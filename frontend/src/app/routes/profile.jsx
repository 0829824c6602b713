import {
  CalendarFeedSettings,
  ChangePasswordForm,
  NotificationSettings,
} from '@/features/account/components/profile-settings';

export function ProfileRoute() {
  return (
    <div className="mx-auto max-w-2xl space-y-5">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900">Profile</h1>
      <NotificationSettings />
      <CalendarFeedSettings />
      <ChangePasswordForm />
    </div>
  );
}
