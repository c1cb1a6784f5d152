package co.airdress.relay.tunnel.index;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Receiver index to owner, with random 32-bit indices (wireguard-go {@code IndexTable}). Open
 * addressing on primitive ints, so the per-packet lookup neither boxes nor allocates.
 *
 * <p>Not thread-safe: owned by the engine's owner thread.
 */
public final class IndexTable<T> {

    private int[] keys = new int[64];
    private @Nullable Object[] values = new Object[64];
    private int size;
    private int tombstones;
    private static final Object TOMBSTONE = new Object();

    /** Registers {@code value} under a fresh random index not in use, and returns the index. */
    public int insert(T value, RandomGenerator random) {
        while (true) {
            int index = random.nextInt();
            if (get(index) == null) {
                put(index, value);
                return index;
            }
        }
    }

    /** Maps {@code index} to {@code value}; false (and no change) if the index is taken. */
    public boolean putIfAbsent(int index, T value) {
        if (get(index) != null) {
            return false;
        }
        put(index, value);
        return true;
    }

    /** Replaces the owner of an index already mapped to {@code expected}; false if it is not. */
    public boolean replace(int index, T expected, T value) {
        int mask = keys.length - 1;
        for (int i = mix(index) & mask; ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return false;
            }
            if (keys[i] == index && v == expected) {
                values[i] = value;
                return true;
            }
        }
    }

    @SuppressWarnings("unchecked")
    public @Nullable T get(int index) {
        int mask = keys.length - 1;
        for (int i = mix(index) & mask; ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == index && v != TOMBSTONE) {
                return (T) v;
            }
        }
    }

    /** Removes {@code index} if it maps to {@code value}; returns whether it did. */
    public boolean remove(int index, T value) {
        int mask = keys.length - 1;
        for (int i = mix(index) & mask; ; i = (i + 1) & mask) {
            Object v = values[i];
            if (v == null) {
                return false;
            }
            if (keys[i] == index && v == value) {
                values[i] = TOMBSTONE;
                size--;
                tombstones++;
                return true;
            }
        }
    }

    public int size() {
        return size;
    }

    private void put(int index, Object value) {
        if ((size + tombstones + 1) * 2 > keys.length) {
            rehash(size * 4 >= keys.length ? keys.length * 2 : keys.length);
        }
        int mask = keys.length - 1;
        int i = mix(index) & mask;
        while (values[i] != null && values[i] != TOMBSTONE) {
            i = (i + 1) & mask;
        }
        if (values[i] == TOMBSTONE) {
            tombstones--;
        }
        keys[i] = index;
        values[i] = value;
        size++;
    }

    private void rehash(int capacity) {
        int[] oldKeys = keys;
        Object[] oldValues = values;
        keys = new int[capacity];
        values = new Object[capacity];
        size = 0;
        tombstones = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            Object v = oldValues[i];
            if (v != null && v != TOMBSTONE) {
                put(oldKeys[i], v);
            }
        }
        Arrays.fill(oldValues, null);
    }

    private static int mix(int x) {
        x *= 0x9E3779B9;
        return x ^ (x >>> 16);
    }
}
