package co.airdress.relay.directory;

import co.airdress.relay.config.Operator;
import java.util.concurrent.CompletableFuture;

/**
 * Where an {@link OperatorDirectory}'s operators come from and where its admin API changes go: the
 * operators file ({@link OperatorsFileSource}) or the directory's log ({@link KafkaDirectorySource}).
 * A source puts each new set in force through {@link OperatorDirectory#apply}, on the directory's
 * thread.
 */
interface DirectorySource extends AutoCloseable {

    /**
     * Puts the first table in force (or decides that none can be yet), on the caller's thread.
     *
     * @throws IllegalStateException naming the problem when the relay must not start
     */
    void start();

    CompletableFuture<OperatorDirectory.Put> put(Operator operator);

    CompletableFuture<OperatorDirectory.Delete> delete(String name);

    @Override
    void close();
}
