package co.airdress.relay.tunnel.tun;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Arbitrary virtio-net headers and packets into {@link OffloadSplitter}. Runs the stored inputs as
 * a regression test; {@code JAZZER_FUZZ=1} fuzzes. Nothing may throw, and every packet handed on
 * must lie inside the array it is handed in and be no longer than the read it came from.
 */
class OffloadSplitterFuzzTest {

    private final OffloadSplitter splitter = new OffloadSplitter(65535);

    @FuzzTest(maxDuration = "30s")
    void splitSurvivesAnyRead(FuzzedDataProvider data) {
        byte[] header = new byte[OffloadSplitter.HEADER_LENGTH];
        header[0] = (byte) data.consumeInt(0, 3);
        // Mostly the offload types the device enables, sometimes anything.
        header[1] = (byte)
                (data.consumeBoolean() ? data.pickValue(new int[] {0, 1, 4, 0x81, 0x84}) : data.consumeInt(0, 255));
        int gsoSize = data.consumeInt(0, 2000);
        header[4] = (byte) gsoSize;
        header[5] = (byte) (gsoSize >>> 8);
        int csumStart = data.consumeInt(0, 100);
        header[6] = (byte) csumStart;
        int csumOffset = data.consumeInt(0, 40);
        header[8] = (byte) csumOffset;
        byte[] packet = data.consumeRemainingAsBytes();
        if (packet.length > 0 && data.remainingBytes() == 0 && (packet[0] & 0xf0) == 0) {
            packet[0] = (byte) ((packet[0] & 0x0f) | 0x45); // make IPv4 headers likely
        }
        byte[] read = new byte[header.length + packet.length];
        System.arraycopy(header, 0, read, 0, header.length);
        System.arraycopy(packet, 0, read, header.length, packet.length);

        int[] emitted = {0};
        int n = splitter.split(read, 0, read.length, (b, offset, length) -> {
            assertThat(offset).isNotNegative();
            assertThat(length).isPositive().isLessThanOrEqualTo(packet.length);
            assertThat(offset + length).isLessThanOrEqualTo(b.length);
            emitted[0]++;
        });
        assertThat(n).isEqualTo(emitted[0]).isNotNegative();
    }
}
