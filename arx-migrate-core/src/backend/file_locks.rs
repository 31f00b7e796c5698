//! Which process holds an SQLite database's write lock: SQLite does not
//! say, but its locks are POSIX record locks on the database file (or, in
//! WAL mode, on its `-shm` file), and Linux lists those in `/proc/locks`.
//! Elsewhere the holder stays unnamed.

use std::path::Path;

use crate::lock::LockHolder;

/// The byte SQLite's unix VFS locks for writing in rollback-journal mode
/// (`RESERVED_BYTE`, `PENDING_BYTE + 1`); `PENDING_BYTE` is taken on the
/// way to committing.
const PENDING_BYTE: u64 = 0x4000_0000;
const RESERVED_BYTE: u64 = PENDING_BYTE + 1;
/// The byte of the `-shm` file that WAL mode locks for writing
/// (`WAL_WRITE_LOCK`, the first lock slot after `UNIX_SHM_BASE`).
const WAL_WRITE_BYTE: u64 = 120;

/// The process that holds the write lock of the SQLite database at `path`,
/// where the platform tells.
pub(crate) fn sqlite_writer(path: &Path) -> Option<LockHolder> {
    #[cfg(target_os = "linux")]
    {
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        let shm = path.with_file_name(format!("{}-shm", path.file_name()?.to_string_lossy()));
        let writer = [
            (path.to_path_buf(), RESERVED_BYTE),
            (shm, WAL_WRITE_BYTE),
            (path.to_path_buf(), PENDING_BYTE),
        ]
        .into_iter()
        .find_map(|(file, byte)| {
            let id = file_id(&file)?;
            write_lock_owner(&locks, id, byte)
        })?;
        Some(holder(writer))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

#[cfg(target_os = "linux")]
fn holder(pid: i64) -> LockHolder {
    let this_process = pid == i64::from(std::process::id());
    // The executable's name only: a command line may hold a password.
    let program = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty());
    LockHolder {
        pid,
        this_process,
        program,
        if_stuck: (!this_process).then(|| {
            format!("stop process {pid}: the operating system frees its locks when it exits")
        }),
        ..LockHolder::default()
    }
}

/// A file's device (major, minor) and inode, as `/proc/locks` writes them.
#[cfg(target_os = "linux")]
fn file_id(path: &Path) -> Option<(u64, u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).ok()?;
    let dev = metadata.dev();
    // glibc's gnu_dev_major / gnu_dev_minor.
    let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff);
    let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff);
    Some((major, minor, metadata.ino()))
}

/// The pid that holds a granted POSIX write lock covering `byte` of the
/// file `id`, in the text of `/proc/locks`:
/// `1: POSIX  ADVISORY  WRITE 3568 fd:00:2531452 1073741825 1073741825`.
fn write_lock_owner(locks: &str, id: (u64, u64, u64), byte: u64) -> Option<i64> {
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // Waiting requests are listed as `1: -> POSIX …`; OFD locks have
        // no owning pid.
        let [_, class, _, kind, pid, file, start, end] = fields.as_slice() else {
            return None;
        };
        if *class != "POSIX" || *kind != "WRITE" {
            return None;
        }
        let mut parts = file.split(':');
        let major = u64::from_str_radix(parts.next()?, 16).ok()?;
        let minor = u64::from_str_radix(parts.next()?, 16).ok()?;
        let inode: u64 = parts.next()?.parse().ok()?;
        if (major, minor, inode) != id {
            return None;
        }
        let start: u64 = start.parse().ok()?;
        let covers = match *end {
            "EOF" => byte >= start,
            end => byte >= start && byte <= end.parse().ok()?,
        };
        let pid: i64 = pid.parse().ok()?;
        (covers && pid > 0).then_some(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_is_read_from_proc_locks() {
        let locks = "\
1: FLOCK  ADVISORY  WRITE 30459 fe:00:6275167 0 EOF
2: POSIX  ADVISORY  READ 3778 fe:00:770064 1073741826 1073742335
3: POSIX  ADVISORY  WRITE 3779 fe:00:770064 1073741825 1073741825
4: -> POSIX  ADVISORY  WRITE 3780 fe:00:770064 1073741825 1073741825
5: POSIX  ADVISORY  WRITE 3781 103:02:770064 120 120
";
        let file = (0xfe, 0, 770064);
        assert_eq!(write_lock_owner(locks, file, RESERVED_BYTE), Some(3779));
        assert_eq!(write_lock_owner(locks, file, PENDING_BYTE), None);
        assert_eq!(
            write_lock_owner(locks, (0x103, 2, 770064), WAL_WRITE_BYTE),
            Some(3781)
        );
        assert_eq!(write_lock_owner(locks, (0xfe, 0, 1), RESERVED_BYTE), None);
    }
}
