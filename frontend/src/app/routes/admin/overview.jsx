import { Link } from 'react-router';
import { UtilisationChart } from '@/features/admin/components/utilisation-chart';
import { StatCards } from '@/features/admin/components/stat-cards';
import { SchedulerPanel } from '@/features/admin/components/scheduler-panel';
import { Timeline } from '@/features/admin/components/timeline';
import { useStats } from '@/features/admin/api/get-stats';
import { useAgents } from '@/features/agents/api/get-agents';
import { ErrorState } from '@/components/ui/card';

export default function AdminOverviewRoute() {
  const stats = useStats();
  const agents = useAgents();
  const pending = stats.data?.bookings?.pending ?? 0;
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Lab overview</h1>
          <p className="text-sm text-slate-600">
            Refreshes every 30 seconds while this tab is open.
          </p>
        </div>
        {pending > 0 && (
          <Link
            to="/admin/bookings"
            className="rounded-lg bg-amber-100 px-3 py-2 text-sm font-semibold text-amber-900 ring-1 ring-amber-300 hover:bg-amber-200"
          >
            Review {pending} pending →
          </Link>
        )}
      </div>
      {stats.isError ? (
        <ErrorState error={stats.error} onRetry={stats.refetch} />
      ) : (
        <StatCards stats={stats.data} loading={stats.isPending} />
      )}
      <UtilisationChart days={stats.data?.utilisation_next_7_days} loading={stats.isPending} />
      <Timeline agents={agents.data?.items || []} />
      <SchedulerPanel />
    </div>
  );
}
