/**
 * The shell that owns the kernel's copy of the table: {@link dev.palisade.dataplane.sync.TableSync}
 * applies desired tables (full replacement or element deltas, each one atomic transaction), reads
 * the table back and repairs drift; {@link dev.palisade.dataplane.sync.Backoff} paces the
 * agent's retries around it. See docs/design/failure-model.md.
 */
package dev.palisade.dataplane.sync;
