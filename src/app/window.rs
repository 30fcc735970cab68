//! A list's cursor and the window of its rows on screen: one rule for every list the home
//! screen scrolls (a tenant's deleted users, the table across tenants, the Restored view).

/// Moves the cursor `delta` rows within a list `len` long, stopping at either end.
pub fn moved(selected: usize, delta: isize, len: usize) -> usize {
    let last = len.saturating_sub(1) as isize;
    (selected as isize).saturating_add(delta).clamp(0, last) as usize
}

/// Scrolls so the cursor (kept inside the list) is inside a window of `height` rows, the
/// window never running past the list's end.
pub fn scroll_into_view(selected: &mut usize, offset: &mut usize, len: usize, height: usize) {
    let height = height.max(1);
    *selected = (*selected).min(len.saturating_sub(1));
    if *selected < *offset {
        *offset = *selected;
    } else if *selected >= *offset + height {
        *offset = *selected + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
}

/// The row drawn `row` lines below the window's top, if there is one.
pub fn at_screen_row(offset: usize, len: usize, row: usize) -> Option<usize> {
    let pos = offset.saturating_add(row);
    (pos < len).then_some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_cursor_and_stops_at_the_end() {
        let (mut selected, mut offset) = (12, 0);
        scroll_into_view(&mut selected, &mut offset, 20, 5);
        assert_eq!((selected, offset), (12, 8));
        selected = 2;
        scroll_into_view(&mut selected, &mut offset, 20, 5);
        assert_eq!(offset, 2);
        // The list shrank under the cursor.
        selected = 19;
        scroll_into_view(&mut selected, &mut offset, 10, 5);
        assert_eq!((selected, offset), (9, 5));
        assert_eq!(moved(3, -10, 10), 0);
        assert_eq!(moved(3, 100, 10), 9);
        assert_eq!(at_screen_row(5, 7, 1), Some(6));
        assert_eq!(at_screen_row(5, 7, 2), None);
    }
}
