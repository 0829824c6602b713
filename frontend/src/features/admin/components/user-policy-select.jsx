import { toast } from '@/components/ui/toast';
import { useAssignPolicy } from '../api/assign-policy';
import { usePolicies } from '../api/get-policies';

/** A user's policy: the default (no named policy) or one of the named ones. */
export function UserPolicySelect({ user }) {
  const policies = usePolicies();
  const assign = useAssignPolicy({
    onSuccess: (u) => toast.success(`${u.username}'s policy changed.`),
    onError: (error) => toast.error(`Could not change ${user.username}'s policy: ${error.message}`),
  });
  const items = policies.data?.items || [];
  const value = assign.isPending
    ? String(assign.variables.policyId ?? '')
    : String(user.policy_id ?? '');
  return (
    <select
      aria-label={`Policy of ${user.username}`}
      value={value}
      disabled={!items.length || assign.isPending}
      onChange={(e) =>
        assign.mutate({ userId: user.id, policyId: e.target.value ? Number(e.target.value) : null })
      }
      className="max-w-[10rem] rounded-lg border-0 py-1 pr-7 pl-2 text-xs ring-1 ring-slate-300 ring-inset focus:ring-2 focus:ring-indigo-500"
    >
      <option value="">Default</option>
      {items
        .filter((p) => !p.is_default)
        .map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
    </select>
  );
}
