package co.airdress.relay.tunnel.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class IndexTableTest {

    @Test
    void insertsUniqueRandomIndicesAndBehavesLikeAMap() {
        IndexTable<String> table = new IndexTable<>();
        Map<Integer, String> reference = new HashMap<>();
        RandomGenerator random = new SplittableRandom(7);
        for (int round = 0; round < 5000; round++) {
            String value = "v" + round;
            int index = table.insert(value, random);
            assertThat(reference.put(index, value)).isNull();
            if (round % 3 == 0) {
                int victim = reference.keySet().iterator().next();
                assertThat(table.remove(victim, reference.get(victim))).isTrue();
                reference.remove(victim);
            }
        }
        assertThat(table.size()).isEqualTo(reference.size());
        reference.forEach((k, v) -> assertThat(table.get(k)).isEqualTo(v));
        assertThat(table.remove(12345, "nope")).isFalse();
    }

    @Test
    void collidingRandomSourceStillYieldsDistinctIndices() {
        IndexTable<String> table = new IndexTable<>();
        int[] sequence = {5, 5, 5, 6};
        int[] at = {0};
        RandomGenerator stuck = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public int nextInt() {
                return sequence[at[0]++];
            }
        };
        assertThat(table.insert("a", stuck)).isEqualTo(5);
        assertThat(table.insert("b", stuck)).isEqualTo(6);
        assertThat(table.replace(5, "a", "c")).isTrue();
        assertThat(table.get(5)).isEqualTo("c");
    }
}
