/**
 * The operator directory: which operators are in force and where connections for each host go.
 * {@link co.airdress.relay.directory.OperatorDirectory} applies changes (the WireGuard peers first,
 * then the route table) and answers reads; {@link co.airdress.relay.directory.OperatorsFileSource}
 * is where its operators come from: the operators file, watched and hot-reloaded, and rewritten
 * for admin API changes.
 */
@NullMarked
package co.airdress.relay.directory;

import org.jspecify.annotations.NullMarked;
