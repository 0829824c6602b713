import { UsersTable } from '@/features/admin/components/users-table';

export default function AdminUsersRoute() {
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Users</h1>
        <p className="text-sm text-slate-600">
          Find accounts and disable or enable them; a disabled account is signed out at once.
        </p>
      </div>
      <UsersTable />
    </div>
  );
}
