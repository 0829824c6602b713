import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card, CardHeader, ErrorState } from '@/components/ui/card';
import { Dialog } from '@/components/ui/dialog';
import { FormError, Textarea } from '@/components/ui/field';
import { toast } from '@/components/ui/toast';
import { formatDateTime, formatTime, plural } from '@/lib/format';
import { useDecideExtensionRequest, useExtensionRequests } from '../api/extension-requests';

/**
 * Students' pending requests for more time, oldest first: approve (the booking's end
 * moves, the node re-checked) or reject with a reason. Hidden when none wait.
 */
export function ExtensionQueue() {
  const requests = useExtensionRequests({ status: 'pending', page: 1, perPage: 20 });
  const [rejecting, setRejecting] = useState(null);
  const decide = useDecideExtensionRequest({
    onSuccess: (r) =>
      toast.success(
        r.status === 'approved'
          ? `Booking #${r.booking_id} now ends at ${formatTime(r.requested_end)}.`
          : `Request of ${r.username} rejected.`,
      ),
    onError: (error) => toast.error(`Could not decide: ${error.message}`),
  });
  if (requests.isError) return <ErrorState error={requests.error} onRetry={requests.refetch} />;
  const items = requests.data?.items || [];
  if (!items.length) return null;
  return (
    <Card aria-labelledby="extension-queue-title">
      <CardHeader
        id="extension-queue-title"
        title="Requests for more time"
        description={`${plural(requests.data.total, 'request')} waiting for an admin`}
      />
      <ul className="divide-y divide-slate-100">
        {items.map((r) => (
          <li
            key={r.id}
            aria-label={`Extension request ${r.id}`}
            className="flex flex-wrap items-center justify-between gap-3 px-4 py-3 text-sm sm:px-5"
          >
            <div className="min-w-0">
              <p className="font-semibold text-slate-900">
                {r.username} · booking #{r.booking_id}
                {r.booking?.agent_name ? ` on ${r.booking.agent_name}` : ''}
              </p>
              <p className="text-slate-600">
                Until {formatDateTime(r.requested_end)} (now ends {formatTime(r.previous_end)})
              </p>
              {r.reason && <p className="text-xs text-slate-600 italic">“{r.reason}”</p>}
              {r.review_reason && (
                <p className="text-xs text-amber-800">Not granted at once: {r.review_reason}</p>
              )}
            </div>
            <div className="flex gap-2">
              <Button
                variant="secondary"
                size="sm"
                onClick={() => setRejecting(r)}
                disabled={decide.isPending}
              >
                Reject
              </Button>
              <Button
                variant="success"
                size="sm"
                loading={decide.isPending && decide.variables?.id === r.id}
                onClick={() => decide.mutate({ id: r.id, decision: 'approve' })}
              >
                Approve
              </Button>
            </div>
          </li>
        ))}
      </ul>
      {rejecting && (
        <RejectDialog
          request={rejecting}
          decide={decide}
          onClose={() => {
            decide.reset();
            setRejecting(null);
          }}
        />
      )}
    </Card>
  );
}

function RejectDialog({ request, decide, onClose }) {
  const [reason, setReason] = useState('');
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Reject ${request.username}'s request?`}
      description="The booking keeps its end; the student sees your reason."
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Keep it
          </Button>
          <Button
            variant="danger"
            disabled={!reason.trim()}
            loading={decide.isPending}
            onClick={() =>
              decide.mutate(
                { id: request.id, decision: 'reject', reason: reason.trim() },
                { onSuccess: onClose },
              )
            }
          >
            Reject request
          </Button>
        </>
      }
    >
      <Textarea
        label="Reason"
        required
        rows={2}
        maxLength={1000}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <FormError error={decide.error} fields={['reason']} />
    </Dialog>
  );
}
