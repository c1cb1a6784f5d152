package co.airdress.relay.listen;

/** The two data-plane listeners; the name appears in metrics, logs and /readyz. */
public enum Listener {
    /** Plain HTTP/1.x on :80, routed by the Host of the first request. */
    HTTP("http"),
    /** TLS on :443, routed by the ClientHello's SNI, never decrypted. */
    TLS("tls");

    private final String label;

    Listener(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
