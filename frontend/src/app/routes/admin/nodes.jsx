import { NodesPanel } from '@/features/agents/components/nodes-panel';

export default function AdminNodesRoute() {
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Nodes</h1>
        <p className="text-sm text-slate-600">
          Worker nodes, their health and what is in use right now.
        </p>
      </div>
      <NodesPanel />
    </div>
  );
}
