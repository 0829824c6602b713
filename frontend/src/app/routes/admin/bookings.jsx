import { BookingsTable } from '@/features/admin/components/bookings-table';
import { ExtensionQueue } from '@/features/admin/components/extension-queue';
import { useAgents } from '@/features/agents/api/get-agents';

export default function AdminBookingsRoute() {
  const agents = useAgents();
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Bookings</h1>
        <p className="text-sm text-slate-600">
          Approve, reject or extend requests; select rows for bulk actions.
        </p>
      </div>
      <ExtensionQueue />
      <BookingsTable agents={agents.data?.items || []} />
    </div>
  );
}
