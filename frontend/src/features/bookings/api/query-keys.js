/** Every query key of the student's bookings feature; `all` covers them all. */
export const studentKeys = {
  all: ['student'],
  bookingLists: () => [...studentKeys.all, 'bookings'],
  bookings: (params) => [...studentKeys.bookingLists(), params],
  options: () => [...studentKeys.all, 'options'],
  profile: () => [...studentKeys.all, 'profile'],
  session: (id) => [...studentKeys.all, 'session', id],
  availability: (request) => [...studentKeys.all, 'availability', request],
  slots: (request) => [...studentKeys.all, 'slots', request],
  capacity: () => [...studentKeys.all, 'capacity'],
  usage: () => [...studentKeys.all, 'usage'],
  extensionRequests: (params) => [...studentKeys.all, 'extension-requests', params],
};
