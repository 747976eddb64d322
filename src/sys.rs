//! A detached POSIX thread for the name resolver (`http`): the one
//! `unsafe` outside `ffi`. `std::thread::spawn` brings its join handles,
//! spawn hooks, thread names, stack-overflow guard pages and their
//! bookkeeping (~20 KB on armv7, with `mpsc`'s channels); a resolver that
//! never joins its thread needs none of it.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

/// A job for a detached thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

extern "C" fn start(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `Box<Job>` leaked by `spawn_detached`, handed to
    // exactly this one thread.
    let job = unsafe { Box::from_raw(arg.cast::<Job>()) };
    // A panic must not unwind into the C thread start (that aborts); the
    // job's caller sees it as the job's result never arriving.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    std::ptr::null_mut()
}

/// Runs `job` on a new detached thread named `name` (at most 15 bytes)
/// with a stack of `stack` bytes.
pub(crate) fn spawn_detached(name: &'static std::ffi::CStr, stack: usize, job: Job) -> std::io::Result<()> {
    let arg = Box::into_raw(Box::new(job));
    // SAFETY: `attr` is initialised before use and destroyed after; `tid`
    // is written by pthread_create; `arg` is either owned by the new
    // thread (success) or taken back here (failure).
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let mut rc = libc::pthread_attr_init(&mut attr);
        if rc == 0 {
            // EINVAL only below PTHREAD_STACK_MIN: then the default stack.
            let _ = libc::pthread_attr_setstacksize(&mut attr, stack);
            rc = libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
            if rc == 0 {
                let mut tid: libc::pthread_t = std::mem::zeroed();
                rc = libc::pthread_create(&mut tid, &attr, start, arg.cast());
                if rc == 0 {
                    // Only a name for ps/top/gdb; a failure changes nothing.
                    let _ = libc::pthread_setname_np(tid, name.as_ptr());
                }
            }
            libc::pthread_attr_destroy(&mut attr);
        }
        if rc != 0 {
            drop(Box::from_raw(arg));
            return Err(std::io::Error::from_raw_os_error(rc));
        }
    }
    Ok(())
}
