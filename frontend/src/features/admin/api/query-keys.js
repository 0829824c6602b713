/** Every query key of the admin feature; invalidating `all` refetches all admin data. */
export const adminKeys = {
  all: ['admin'],
  bookingLists: () => [...adminKeys.all, 'bookings'],
  bookings: (params) => [...adminKeys.bookingLists(), params],
  bookingDetails: () => [...adminKeys.all, 'booking'],
  booking: (id) => [...adminKeys.bookingDetails(), id],
  stats: () => [...adminKeys.all, 'stats'],
  scheduler: () => [...adminKeys.all, 'scheduler'],
  userLists: () => [...adminKeys.all, 'users'],
  users: (params) => [...adminKeys.userLists(), params],
  policies: () => [...adminKeys.all, 'policies'],
  autoApproval: () => [...adminKeys.all, 'auto-approval'],
  extensionRequests: (params) => [...adminKeys.all, 'extension-requests', params],
};
