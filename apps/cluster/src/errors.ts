import { FramewireError } from "@framewire/errors";

/**
 * ClusterErrorCode names every failure `@framewire/cluster` reports: a bad option or config
 * (`BAD_OPTION`, shared) and a process of the cluster that failed to start or died
 * (`PROCESS_FAILED`).
 */
export type ClusterErrorCode = "BAD_OPTION" | "PROCESS_FAILED";

/** ClusterError is the one typed error of `@framewire/cluster`. */
export class ClusterError extends FramewireError<ClusterErrorCode> {}
