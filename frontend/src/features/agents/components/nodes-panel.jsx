import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, EmptyState, ErrorState } from '@/components/ui/card';
import { Dialog } from '@/components/ui/dialog';
import { LoadingBlock } from '@/components/ui/spinner';
import { toast } from '@/components/ui/toast';
import { useAgents } from '../api/get-agents';
import { useSetAgentStatus } from '../api/set-agent-status';
import { NodeCard } from './node-card';
import { RegisterNodeForm } from './register-node-form';

export function NodesPanel() {
  const agents = useAgents();
  const [registering, setRegistering] = useState(false);
  const setStatus = useSetAgentStatus({
    onSuccess: (agent) =>
      toast.success(
        agent.status === 'maintenance'
          ? `${agent.name} is in maintenance.`
          : `${agent.name} is back in service.`,
      ),
    onError: (error) => toast.error(`Could not change the node's status: ${error.message}`),
  });
  const items = agents.data?.items || [];
  const online = items.filter((a) => a.status === 'online').length;

  return (
    <Card aria-labelledby="nodes-title">
      <CardHeader
        id="nodes-title"
        title="Nodes"
        description={agents.data ? `${online} of ${items.length} online` : undefined}
        actions={<Button onClick={() => setRegistering(true)}>+ Register node</Button>}
      />
      <div className="p-4 sm:p-5">
        {agents.isPending ? (
          <LoadingBlock label="Loading nodes…" />
        ) : agents.isError ? (
          <ErrorState error={agents.error} onRetry={agents.refetch} />
        ) : items.length === 0 ? (
          <EmptyState
            title="No nodes registered"
            description="Register a worker node so bookings can be placed on it."
            action={<Button onClick={() => setRegistering(true)}>Register the first node</Button>}
          />
        ) : (
          <ul className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
            {items.map((agent) => (
              <NodeCard
                key={agent.id}
                agent={agent}
                toggling={setStatus.isPending && setStatus.variables?.id === agent.id}
                onToggleMaintenance={(a) =>
                  setStatus.mutate({
                    id: a.id,
                    status: a.status === 'maintenance' ? 'online' : 'maintenance',
                  })
                }
              />
            ))}
          </ul>
        )}
      </div>
      <Dialog
        open={registering}
        onClose={() => setRegistering(false)}
        title="Register a node"
        size="lg"
        description="The controller talks to the node's agent at this URL."
      >
        <RegisterNodeForm
          onDone={(agent) => {
            setRegistering(false);
            if (agent) toast.success(`Node ${agent.name} registered.`);
          }}
        />
      </Dialog>
    </Card>
  );
}
