//! The partial quicksort Redis uses when a reply keeps only the first few of many sorted
//! elements (GEOSEARCH ... COUNT n with more than n matches).
//!
//! Elements that compare equal come out in an order fixed by the algorithm, not by their
//! input order; to answer as Redis does, this follows the same steps: Bentley and McIlroy's
//! three-way partitioning quicksort (median-of-three pivot, ninther above 40 elements,
//! insertion sort below 7 elements or when a pass swapped nothing), recursing only into the
//! parts that overlap the wanted range.

use std::cmp::Ordering;

/// Sorts `items` so that positions `lo..=hi` hold what a full sort would put there.
pub fn partial_sort<T>(items: &mut [T], lo: usize, hi: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    assert!(lo <= hi, "an empty range to sort");
    sort_range(items, 0, items.len(), lo, hi, cmp);
}

/// Sorts the `n` elements from `start` as far as the range `lo..=hi` needs; returns the depth of
/// recursion it took. The two parts of a partition are disjoint, so the order in which they are
/// sorted changes nothing in the result: recursing into the smaller one and looping on the
/// larger keeps the depth within log2(n), where Redis's C (recursing into the first part) can
/// be driven to a depth of n by a crafted input — a stack overflow in a replicated apply.
fn sort_range<T>(
    items: &mut [T],
    mut start: usize,
    mut n: usize,
    lo: usize,
    hi: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> usize {
    let mut depth = 0;
    loop {
        if n < 7 {
            insertion_sort(&mut items[start..start + n], cmp);
            return depth;
        }
        let pivot = pick_pivot(&items[start..start + n], cmp);
        items.swap(start, start + pivot);
        let Some((less, greater)) = partition(&mut items[start..start + n], cmp) else {
            insertion_sort(&mut items[start..start + n], cmp);
            return depth;
        };
        let end = start + n;
        let wanted = |first: usize, len: usize| len > 1 && overlaps(first, first + len - 1, lo, hi);
        let left = Some((start, less)).filter(|&(first, len)| wanted(first, len));
        let right = Some((end - greater, greater)).filter(|&(first, len)| wanted(first, len));
        let next = match (left, right) {
            (None, None) => return depth,
            (Some(only), None) | (None, Some(only)) => only,
            (Some(left), Some(right)) => {
                let (small, large) = if left.1 <= right.1 {
                    (left, right)
                } else {
                    (right, left)
                };
                depth = depth.max(1 + sort_range(items, small.0, small.1, lo, hi, cmp));
                large
            }
        };
        (start, n) = next;
    }
}

/// Whether the positions `first..=last` meet `lo..=hi`.
fn overlaps(first: usize, last: usize, lo: usize, hi: usize) -> bool {
    !(hi < first || lo > last)
}

fn insertion_sort<T>(items: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    for m in 1..items.len() {
        let mut l = m;
        while l > 0 && cmp(&items[l - 1], &items[l]) == Ordering::Greater {
            items.swap(l, l - 1);
            l -= 1;
        }
    }
}

/// The index of the pivot: the median of first, middle and last, each of them itself a
/// median of three spread elements when there are more than 40.
fn pick_pivot<T>(items: &[T], cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    let n = items.len();
    let mut m = n / 2;
    if n > 7 {
        let (mut l, mut r) = (0, n - 1);
        if n > 40 {
            let d = n / 8;
            l = median_of_three(items, l, l + d, l + 2 * d, cmp);
            m = median_of_three(items, m - d, m, m + d, cmp);
            r = median_of_three(items, r - 2 * d, r - d, r, cmp);
        }
        m = median_of_three(items, l, m, r, cmp);
    }
    m
}

fn median_of_three<T>(
    items: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) -> usize {
    let less = |x: usize, y: usize| cmp(&items[x], &items[y]) == Ordering::Less;
    let greater = |x: usize, y: usize| cmp(&items[x], &items[y]) == Ordering::Greater;
    if less(a, b) {
        if less(b, c) {
            b
        } else if less(a, c) {
            c
        } else {
            a
        }
    } else if greater(b, c) {
        b
    } else if less(a, c) {
        a
    } else {
        c
    }
}

/// Three-way partition around the pivot at index 0: afterwards the slice holds the elements
/// below the pivot, those equal to it, then those above. Returns how many are below and how
/// many above, or None when the pass swapped nothing (the caller then finishes by insertion
/// sort, as the original does).
fn partition<T>(items: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) -> Option<(usize, usize)> {
    let n = items.len();
    let mut swapped = false;
    // Equal elements gather at both ends: 1..a and d+1..n; b and c scan inwards.
    let (mut a, mut b) = (1usize, 1usize);
    let (mut c, mut d) = (n as isize - 1, n as isize - 1);
    loop {
        while b as isize <= c {
            let order = cmp(&items[b], &items[0]);
            if order == Ordering::Greater {
                break;
            }
            if order == Ordering::Equal {
                swapped = true;
                items.swap(a, b);
                a += 1;
            }
            b += 1;
        }
        while b as isize <= c {
            let order = cmp(&items[c as usize], &items[0]);
            if order == Ordering::Less {
                break;
            }
            if order == Ordering::Equal {
                swapped = true;
                items.swap(c as usize, d as usize);
                d -= 1;
            }
            c -= 1;
        }
        if b as isize > c {
            break;
        }
        items.swap(b, c as usize);
        swapped = true;
        b += 1;
        c -= 1;
    }
    if !swapped {
        return None;
    }
    let (c, d) = (c as usize, d as usize);
    let r = a.min(b - a);
    swap_blocks(items, 0, b - r, r);
    let r = (d - c).min(n - d - 1);
    swap_blocks(items, b, n - r, r);
    Some((b - a, d - c))
}

/// Swaps `len` elements from `x` with `len` elements from `y`, pairwise from the front.
fn swap_blocks<T>(items: &mut [T], x: usize, y: usize, len: usize) {
    for i in 0..len {
        items.swap(x + i, y + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn the_wanted_range_holds_what_a_full_sort_puts_there() {
        let mut rng = Rng::new(7);
        for n in 1..120 {
            let items: Vec<u32> = (0..n).map(|_| rng.below(20) as u32).collect();
            let mut sorted = items.clone();
            sorted.sort();
            for (lo, hi) in [(0, 0), (0, n / 2), (n / 3, n - 1), (0, n - 1)] {
                let mut partly = items.clone();
                partial_sort(&mut partly, lo, hi, &|a: &u32, b: &u32| a.cmp(b));
                assert_eq!(partly[lo..=hi], sorted[lo..=hi], "n={n} lo={lo} hi={hi}");
                let mut rest = partly.clone();
                rest.sort();
                assert_eq!(rest, sorted, "a permutation");
            }
        }
    }

    #[test]
    fn recursion_stays_within_log2_of_the_length() {
        let n = 5000usize;
        let mut rng = Rng::new(11);
        let inputs: Vec<Vec<u32>> = vec![
            (0..n as u32).collect(),
            (0..n as u32).rev().collect(),
            (0..n as u32).map(|i| i.min(n as u32 - i)).collect(),
            (0..n).map(|_| rng.below(n) as u32).collect(),
        ];
        let bound = usize::BITS - n.leading_zeros();
        for mut items in inputs {
            let depth = sort_range(&mut items, 0, n, 0, n - 1, &|a: &u32, b: &u32| a.cmp(b));
            assert!(depth <= bound as usize, "depth {depth} > {bound}");
            assert!(items.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
