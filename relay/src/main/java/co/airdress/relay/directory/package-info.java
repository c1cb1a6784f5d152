/**
 * The operator directory: which operators are in force and where connections for each host go.
 * {@link co.airdress.relay.directory.OperatorDirectory} applies changes (the WireGuard peers first,
 * then the route table) and answers reads; its source is where its operators come from: the
 * operators file ({@link co.airdress.relay.directory.OperatorsFileSource}, watched, hot-reloaded and
 * rewritten for the admin API) or a Kafka log shared by every PoP
 * ({@link co.airdress.relay.directory.KafkaDirectorySource}: {@code DirectoryLog} reads it,
 * {@code DirectoryWriter} writes to it, {@code DirectoryRecord} is its format, {@code DirectoryState}
 * the sans-IO rule that applies one record, {@code DirectorySnapshot} the file routed from when the
 * log cannot be reached at start; docs/directory.md).
 */
@NullMarked
package co.airdress.relay.directory;

import org.jspecify.annotations.NullMarked;
