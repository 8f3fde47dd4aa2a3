//! Many needles looked for at once (Aho-Corasick): one step per character
//! of the text whatever the number of needles, so masking every key of a
//! large archive stays linear.

use std::collections::VecDeque;

/// A trie of the needles with its failure links, its edges stored flat
/// (each state's sorted in one run of `chars`/`targets`).
#[derive(Debug)]
pub(super) struct Automaton {
    /// `first[s]..first[s + 1]`: the edges of state `s`.
    first: Vec<u32>,
    chars: Vec<char>,
    targets: Vec<u32>,
    /// The state of the longest proper suffix that is in the trie.
    fail: Vec<u32>,
    /// The length of the longest needle the state's text ends with (0:
    /// none).
    longest: Vec<u32>,
    /// The root's edges for ASCII characters, by code (0: none): most
    /// characters of a text are read at the root.
    root_ascii: [u32; 128],
}

impl Drop for Automaton {
    fn drop(&mut self) {
        // The edges spell the needles, which are the key in other words.
        secrecy::zeroize::Zeroize::zeroize(&mut self.chars);
        secrecy::zeroize::Zeroize::zeroize(&mut self.root_ascii);
    }
}

fn index(state: u32) -> usize {
    usize::try_from(state).unwrap_or(usize::MAX)
}

fn state(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

impl Automaton {
    /// The automaton of `needles` (empty ones are ignored).
    pub(super) fn new<'a>(needles: impl IntoIterator<Item = &'a [char]>) -> Self {
        let mut children: Vec<Vec<(char, u32)>> = vec![Vec::new()];
        let mut ends: Vec<u32> = vec![0];
        for needle in needles {
            let mut at = 0usize;
            for &c in needle {
                at = match children[at].iter().find(|(e, _)| *e == c) {
                    Some(&(_, next)) => index(next),
                    None => {
                        children.push(Vec::new());
                        ends.push(0);
                        let next = children.len() - 1;
                        children[at].push((c, state(next)));
                        next
                    }
                };
            }
            if at != 0 {
                ends[at] = state(needle.len());
            }
        }
        let mut automaton = Self {
            first: Vec::with_capacity(children.len() + 1),
            chars: Vec::new(),
            targets: Vec::new(),
            fail: vec![0; children.len()],
            longest: vec![0; children.len()],
            root_ascii: [0; 128],
        };
        for edges in &mut children {
            edges.sort_unstable_by_key(|(c, _)| *c);
            automaton.first.push(state(automaton.chars.len()));
            for &(c, next) in edges.iter() {
                automaton.chars.push(c);
                automaton.targets.push(next);
            }
        }
        automaton.first.push(state(automaton.chars.len()));
        for (c, child) in automaton.edges(0) {
            if let Some(slot) = automaton
                .root_ascii
                .get_mut(usize::from(u8::try_from(c).unwrap_or(255)))
            {
                *slot = child;
            }
        }
        // Breadth first: a state's failure link is set before its children's.
        let mut queue: VecDeque<u32> = VecDeque::from([0]);
        while let Some(parent) = queue.pop_front() {
            for (c, child) in automaton.edges(parent) {
                let fail = if parent == 0 {
                    0
                } else {
                    automaton.next(automaton.fail[index(parent)], c)
                };
                let child_index = index(child);
                automaton.fail[child_index] = fail;
                automaton.longest[child_index] = match ends[child_index] {
                    0 => automaton.longest[index(fail)],
                    own => own,
                };
                queue.push_back(child);
            }
        }
        automaton
    }

    fn edges(&self, s: u32) -> impl Iterator<Item = (char, u32)> + use<> {
        let range = index(self.first[index(s)])..index(self.first[index(s) + 1]);
        let pairs: Vec<(char, u32)> = range.map(|i| (self.chars[i], self.targets[i])).collect();
        pairs.into_iter()
    }

    fn child(&self, s: u32, c: char) -> Option<u32> {
        let (from, to) = (index(self.first[index(s)]), index(self.first[index(s) + 1]));
        let edges = &self.chars[from..to];
        edges.binary_search(&c).ok().map(|i| self.targets[from + i])
    }

    /// The state after reading `c` in state `s`.
    pub(super) fn next(&self, mut s: u32, c: char) -> u32 {
        loop {
            if s == 0 && c.is_ascii() {
                return self.root_ascii[usize::from(c as u8)];
            }
            if let Some(next) = self.child(s, c) {
                return next;
            }
            if s == 0 {
                return 0;
            }
            s = self.fail[index(s)];
        }
    }

    /// The length of the longest needle that ends at state `s`, if any.
    pub(super) fn found(&self, s: u32) -> Option<usize> {
        Some(index(self.longest[index(s)])).filter(|&n| n > 0)
    }

    /// The length of the longest needle.
    pub(super) fn longest_needle(&self) -> usize {
        self.longest.iter().map(|&n| index(n)).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(needles: &[&str], text: &str) -> Vec<(usize, usize)> {
        let needles: Vec<Vec<char>> = needles.iter().map(|n| n.chars().collect()).collect();
        let automaton = Automaton::new(needles.iter().map(Vec::as_slice));
        let mut s = 0;
        let mut found = Vec::new();
        for (i, c) in text.chars().enumerate() {
            s = automaton.next(s, c);
            if let Some(length) = automaton.found(s) {
                found.push((i + 1, length));
            }
        }
        found
    }

    #[test]
    fn the_longest_needle_ending_at_each_character_is_found() {
        assert_eq!(
            ends(&["he", "she", "his", "hers"], "ushers"),
            [(4, 3), (6, 4)]
        );
        assert_eq!(ends(&["aa"], "aaaa"), [(2, 2), (3, 2), (4, 2)]);
        assert_eq!(ends(&["abcd", "bc"], "xabcx"), [(4, 2)]);
        assert!(ends(&[], "abc").is_empty());
    }
}
