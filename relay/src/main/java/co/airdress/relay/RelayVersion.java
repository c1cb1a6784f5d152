package co.airdress.relay;

/** The relay's version: the jar manifest's {@code Implementation-Version}, or "dev" when run from classes. */
public final class RelayVersion {

    private RelayVersion() {}

    public static String current() {
        String v = RelayVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
