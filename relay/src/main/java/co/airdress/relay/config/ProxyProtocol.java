package co.airdress.relay.config;

/** Which PROXY protocol header the relay writes to an operator's upstream before the peeked bytes. */
public enum ProxyProtocol {
    NONE,
    V1,
    V2
}
