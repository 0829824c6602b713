import { AvailabilityStrip } from '@/features/bookings/components/availability-strip';
import { BookingForm } from '@/features/bookings/components/booking-form';
import { BookingSummary } from '@/features/bookings/components/booking-summary';
import { MyBookings } from '@/features/bookings/components/my-bookings';
import { QuotaCard } from '@/features/bookings/components/quota-card';
import { SessionEndingBanner } from '@/features/bookings/components/session-ending-banner';
import { useMyBookings } from '@/features/bookings/api/get-my-bookings';
import { useAuth } from '@/lib/auth';

function ActiveSessionBanner() {
  const active = useMyBookings({ status: 'active', page: 1, perPage: 10 });
  return <SessionEndingBanner bookings={active.data?.items} onExtended={() => active.refetch()} />;
}

export function StudentDashboardRoute() {
  const { user } = useAuth();
  return (
    <div className="space-y-5">
      <div className="flex flex-col gap-4 lg:flex-row lg:items-end lg:justify-between">
        <div>
          <h1 className="text-2xl font-bold tracking-tight text-slate-900">Hi {user?.username}</h1>
          <p className="text-sm text-slate-600">Request compute time and follow your sessions.</p>
        </div>
        <div className="lg:w-[28rem]">
          <BookingSummary />
        </div>
      </div>
      <ActiveSessionBanner />
      <div className="grid items-start gap-5 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <div className="space-y-5">
          <BookingForm />
          <AvailabilityStrip />
          <QuotaCard />
        </div>
        <MyBookings />
      </div>
    </div>
  );
}
