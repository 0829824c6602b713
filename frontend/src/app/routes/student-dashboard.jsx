import { BookingForm } from '@/features/bookings/components/booking-form';
import { BookingSummary } from '@/features/bookings/components/booking-summary';
import { MyBookings } from '@/features/bookings/components/my-bookings';
import { useAuth } from '@/lib/auth';

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
      <div className="grid items-start gap-5 lg:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <BookingForm />
        <MyBookings />
      </div>
    </div>
  );
}
