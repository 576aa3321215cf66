//! A first-in first-out queue that keeps its front element inline.

use alloc::collections::VecDeque;

/// A FIFO whose front element lives in the struct and the rest in a `VecDeque`.
///
/// A greeting connection in lockstep holds at most one received chunk and one reply at a
/// time, so with the front inline a message never touches the deque's heap buffer: one
/// cache line less per message and per queue, on a server that serves thousands of
/// connections in turn and finds each one's state cold.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    front: Option<T>,
    rest: VecDeque<T>,
}

impl<T> Queue<T> {
    pub(crate) const fn new() -> Queue<T> {
        Queue {
            front: None,
            rest: VecDeque::new(),
        }
    }

    /// Adds `value` at the back.
    #[inline]
    pub(crate) fn push_back(&mut self, value: T) {
        if self.front.is_none() {
            // The front is empty only when the whole queue is (see `pop_front`).
            self.front = Some(value);
        } else {
            self.rest.push_back(value);
        }
    }

    /// Takes the front element.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let value = self.front.take()?;
        if !self.rest.is_empty() {
            self.front = self.rest.pop_front();
        }
        Some(value)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.front.is_none()
    }

    pub(crate) fn clear(&mut self) {
        self.front = None;
        self.rest.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Queue;
    use alloc::collections::VecDeque;
    use alloc::vec::Vec;

    /// Every sequence of pushes and pops gives what a `VecDeque` gives.
    #[test]
    fn behaves_as_a_vecdeque() {
        // A fixed pseudo-random walk, two pushes to a pop on average, with runs of
        // both, so the queue is often empty, often one deep, and sometimes deeper.
        let mut state = 0x2545_f491_u32;
        let mut ours = Queue::new();
        let mut model = VecDeque::new();
        let mut popped = Vec::new();
        for i in 0..10_000u32 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if state % 3 != 0 {
                ours.push_back(i);
                model.push_back(i);
            } else {
                let (a, b) = (ours.pop_front(), model.pop_front());
                assert_eq!(a, b, "pop {i}");
                popped.extend(a);
            }
            assert_eq!(ours.is_empty(), model.is_empty(), "step {i}");
            if i == 5_000 {
                ours.clear();
                model.clear();
            }
        }
        while let Some(v) = model.pop_front() {
            assert_eq!(ours.pop_front(), Some(v));
        }
        assert_eq!(ours.pop_front(), None);
        assert!(
            popped.len() > 1_000,
            "the walk popped too little to test anything"
        );
    }
}
