package co.airdress.relay.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of {@code relay run} from the test JVM's own classes, as bin/relay runs it. */
public final class RelayCommandLine {

    private RelayCommandLine() {}

    /** {@code java [jvmOptions] ... RelayCommand run --config config}, with this JVM's java and classpath. */
    public static List<String> run(Path config, String... jvmOptions) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "co.airdress.relay.cli.RelayCommand",
                "run",
                "--config",
                config.toString()));
        return command;
    }
}
