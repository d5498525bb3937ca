package org.painn4j.structure;

import java.util.Arrays;

/**
 * One row of edges while it is found and sorted: growable parallel arrays of neighbor,
 * image (3), vector (3) and distance.
 */
final class EdgeBuffer {
    int size;
    int[] neighbor;
    int[] image;
    double[] vector;
    double[] distance;

    EdgeBuffer(int capacity) {
        capacity = Math.max(capacity, 16);
        neighbor = new int[capacity];
        image = new int[3 * capacity];
        vector = new double[3 * capacity];
        distance = new double[capacity];
    }

    void add(int j, int n0, int n1, int n2, double x, double y, double z, double d) {
        if (size == neighbor.length) {
            int capacity = (int) Math.min(Integer.MAX_VALUE - 8L, 2L * size);
            if (capacity <= size || 3L * capacity > Integer.MAX_VALUE - 8L) {
                throw new IllegalStateException("more than " + size + " edges");
            }
            neighbor = Arrays.copyOf(neighbor, capacity);
            image = Arrays.copyOf(image, 3 * capacity);
            vector = Arrays.copyOf(vector, 3 * capacity);
            distance = Arrays.copyOf(distance, capacity);
        }
        int e = size++;
        neighbor[e] = j;
        image[3 * e] = n0;
        image[3 * e + 1] = n1;
        image[3 * e + 2] = n2;
        vector[3 * e] = x;
        vector[3 * e + 1] = y;
        vector[3 * e + 2] = z;
        distance[e] = d;
    }

    /** Drops everything; keeps the storage. */
    void clear() {
        size = 0;
    }

    /** Orders edges by neighbor, then image lexicographically; equal keys never occur. */
    int compare(int e, int f) {
        int c = Integer.compare(neighbor[e], neighbor[f]);
        for (int k = 0; c == 0 && k < 3; k++) {
            c = Integer.compare(image[3 * e + k], image[3 * f + k]);
        }
        return c;
    }

    /** A permutation of 0..size-1 that sorts the edges by {@link #compare}. */
    int[] sortedOrder() {
        int[] order = new int[size];
        for (int e = 0; e < size; e++) {
            order[e] = e;
        }
        if (size < 2) {
            return order;
        }
        // Rows are short (tens of edges); insertion sort wins there, merge sort bounds the rest.
        if (size <= 48) {
            for (int a = 1; a < size; a++) {
                int e = order[a];
                int b = a - 1;
                while (b >= 0 && compare(order[b], e) > 0) {
                    order[b + 1] = order[b];
                    b--;
                }
                order[b + 1] = e;
            }
            return order;
        }
        int[] tmp = new int[size];
        for (int width = 1; width < size; width *= 2) {
            for (int lo = 0; lo < size; lo += 2 * width) {
                int mid = Math.min(lo + width, size);
                int hi = Math.min(lo + 2 * width, size);
                int a = lo;
                int b = mid;
                for (int k = lo; k < hi; k++) {
                    if (a < mid && (b >= hi || compare(order[a], order[b]) <= 0)) {
                        tmp[k] = order[a++];
                    } else {
                        tmp[k] = order[b++];
                    }
                }
            }
            int[] t = order;
            order = tmp;
            tmp = t;
        }
        return order;
    }
}
