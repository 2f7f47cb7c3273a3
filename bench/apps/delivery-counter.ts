/** Deliveries that reached the application's code in this server process (bare route or handler). */
export const deliveryCounter = { handled: 0 };
