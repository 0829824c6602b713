import { PolicyEditor } from '@/features/admin/components/policy-editor';

export default function AdminPoliciesRoute() {
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-slate-900">Policies</h1>
        <p className="text-sm text-slate-600">
          Quotas per group of students, and what is approved without an admin.
        </p>
      </div>
      <PolicyEditor />
    </div>
  );
}
