/** The events accepted and not yet committed (group commit's queue), for the operators' gauge. */
export abstract class EventWriteQueue {
  abstract get depth(): number;
}
