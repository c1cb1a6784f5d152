package co.airdress.relay.access;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import co.airdress.relay.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchedFileAppenderTest {

    @TempDir
    Path dir;

    @Test
    void theShippedConfigWritesEveryLineFromSeveralThreadsToTheFile() throws Exception {
        Path file = dir.resolve("access.log");
        LoggerContext ctx = new LoggerContext();
        ctx.putProperty("airdress.access.file", file.toString());
        JoranConfigurator config = new JoranConfigurator();
        config.setContext(ctx);
        config.doConfigure(getClass().getResource("/logback.xml"));
        Logger log = ctx.getLogger(AccessLog.LOGGER);
        assertThat(log.getAppender("ASYNC_ACCESS")).isInstanceOf(BatchedFileAppender.class);

        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    log.info("{\"t\":" + id + ",\"i\":" + i + "}");
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        // Written by the writer thread on its next wake-up, without stopping the appender.
        Await.until(
                Duration.ofSeconds(10),
                "2000 lines in the access log",
                () -> Files.exists(file) && lines(file).size() == 2000);
        List<String> lines = lines(file);
        for (int t = 0; t < 2; t++) {
            String prefix = "{\"t\":" + t + ",";
            List<String> mine = lines.stream().filter(l -> l.startsWith(prefix)).toList();
            assertThat(mine).hasSize(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(mine.get(i)).isEqualTo(prefix + "\"i\":" + i + "}"); // each thread's order kept
            }
        }
        ctx.stop();
    }

    @Test
    void aFullQueueDropsAndCountsLinesInsteadOfBlockingAndStopWritesTheRest() throws Exception {
        Path file = dir.resolve("small.log");
        LoggerContext ctx = new LoggerContext();
        BatchedFileAppender appender = new BatchedFileAppender();
        appender.setContext(ctx);
        appender.setFile(file.toString());
        appender.setQueueSize(4);
        appender.setFlushMillis(3_600_000); // the writer only drains on stop in this test
        appender.start();
        Logger log = ctx.getLogger("t");
        log.addAppender(appender);
        for (int i = 0; i < 10; i++) {
            log.info("line " + i);
        }
        assertThat(appender.dropped()).isEqualTo(6);
        appender.stop();
        assertThat(lines(file)).containsExactly("line 0", "line 1", "line 2", "line 3");
        ctx.stop();
    }

    @Test
    void rejectsBadSettings() {
        BatchedFileAppender appender = new BatchedFileAppender();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> appender.setQueueSize(0))
                .hasMessage("queueSize: 0 (expected: >= 1)");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> appender.setFlushMillis(0))
                .hasMessage("flushMillis: 0 (expected: >= 1)");
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
