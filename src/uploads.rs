//! Upload admission: how many upload bytes all requests together may hold and how many
//! uploads one account may send at once, both settled before a byte of the body is read.
//!
//! A body with a `Content-Length` reserves that many bytes up front; a chunked one reserves as
//! it streams. An upload that does not fit is refused at once (503 for the server's budget,
//! 429 for the account's), with `Retry-After`, instead of being read into memory first.

use crate::error::{AppError, Code};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reservations are counted in KiB (a semaphore takes at most `u32` permits at once).
const UNIT: u64 = 1024;
/// What a chunked body reserves at a time.
const CHUNKED_STEP: u64 = 1024 * 1024;
const ACCOUNT_RETRY_SECONDS: u64 = 5;
const BUSY_RETRY_SECONDS: u64 = 10;

/// The shared budget; one per server (clones share it).
#[derive(Clone)]
pub struct UploadGate {
    bytes: Arc<Semaphore>,
    budget_units: u64,
    per_account: Arc<Mutex<HashMap<i64, usize>>>,
    account_limit: usize,
}

fn units(bytes: u64) -> u64 {
    bytes.div_ceil(UNIT)
}

fn mib(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

fn too_large(max_bytes: u64) -> AppError {
    AppError::new(Code::PayloadTooLarge)
        .with_detail(format!("an upload may be at most {} MB", mib(max_bytes)))
        .with_detail_vi(format!("Mỗi lần tải lên tối đa {} MB.", mib(max_bytes)))
}

fn busy() -> AppError {
    AppError::new(Code::UploadsBusy)
        .with_detail("the server is receiving too many uploads; try again shortly")
        .with_detail_vi("Máy chủ đang nhận quá nhiều tệp. Vui lòng thử lại sau ít phút.")
        .with_retry_after(BUSY_RETRY_SECONDS)
}

impl UploadGate {
    /// `bytes_in_flight` for all uploads together (at least 1 MiB), `per_account` uploads at
    /// once per account (at least 1).
    pub fn new(bytes_in_flight: u64, per_account: usize) -> UploadGate {
        let budget_units =
            units(bytes_in_flight.max(CHUNKED_STEP)).min(Semaphore::MAX_PERMITS as u64);
        UploadGate {
            bytes: Arc::new(Semaphore::new(budget_units as usize)),
            budget_units,
            per_account: Arc::default(),
            account_limit: per_account.max(1),
        }
    }

    /// Admits one upload of `account` whose body announces `content_length` (none: chunked)
    /// and may be at most `max_bytes`, or refuses it: 413 when it can never fit, 429 when the
    /// account is already sending its share, 503 when the server's budget is spent.
    pub fn admit(
        &self,
        account: i64,
        content_length: Option<u64>,
        max_bytes: u64,
    ) -> Result<UploadPass, AppError> {
        let max_bytes = max_bytes.min(self.budget_units * UNIT);
        if content_length.is_some_and(|len| len > max_bytes) {
            return Err(too_large(max_bytes));
        }
        let slot = AccountSlot::take(self.per_account.clone(), account, self.account_limit)?;
        let reserve = content_length.unwrap_or(CHUNKED_STEP).min(max_bytes);
        let permit = self.reserve(reserve)?;
        Ok(UploadPass {
            bytes: self.bytes.clone(),
            permit,
            reserved: units(reserve) * UNIT,
            read: 0,
            max_bytes,
            _slot: slot,
        })
    }

    fn reserve(&self, bytes: u64) -> Result<OwnedSemaphorePermit, AppError> {
        let wanted = u32::try_from(units(bytes)).map_err(|_| busy())?;
        self.bytes
            .clone()
            .try_acquire_many_owned(wanted)
            .map_err(|_| busy())
    }

    /// Uploads admitted and not yet finished.
    pub fn admitted(&self) -> usize {
        self.per_account
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .sum()
    }

    /// Bytes reserved by uploads now.
    pub fn bytes_in_flight(&self) -> u64 {
        (self.budget_units - self.bytes.available_permits() as u64) * UNIT
    }
}

/// One account's place among its uploads, given back when the upload ends.
struct AccountSlot {
    map: Arc<Mutex<HashMap<i64, usize>>>,
    account: i64,
}

impl AccountSlot {
    fn take(
        map: Arc<Mutex<HashMap<i64, usize>>>,
        account: i64,
        limit: usize,
    ) -> Result<AccountSlot, AppError> {
        {
            let mut uploads = map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let running = uploads.entry(account).or_default();
            if *running >= limit {
                return Err(AppError::new(Code::TooManyUploads)
                    .with_detail(format!(
                        "this account is already sending {limit} uploads; wait for one to finish"
                    ))
                    .with_detail_vi(format!(
                        "Tài khoản đang tải lên {limit} lượt cùng lúc. Vui lòng chờ một lượt xong rồi thử lại."
                    ))
                    .with_retry_after(ACCOUNT_RETRY_SECONDS));
            }
            *running += 1;
        }
        Ok(AccountSlot { map, account })
    }
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        let mut uploads = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(running) = uploads.get_mut(&self.account) {
            *running = running.saturating_sub(1);
            if *running == 0 {
                uploads.remove(&self.account);
            }
        }
    }
}

/// An admitted upload: count what is read with [`UploadPass::read`]; dropping it gives its
/// bytes and the account's place back.
pub struct UploadPass {
    bytes: Arc<Semaphore>,
    permit: OwnedSemaphorePermit,
    reserved: u64,
    read: u64,
    max_bytes: u64,
    _slot: AccountSlot,
}

impl UploadPass {
    /// Counts `n` more bytes of the body. A chunked body reserves more as it goes; past the
    /// upload's maximum it is refused (413), past the server's budget too (503).
    pub fn read(&mut self, n: usize) -> Result<(), AppError> {
        self.read += n as u64;
        if self.read > self.max_bytes {
            return Err(too_large(self.max_bytes));
        }
        while self.read > self.reserved {
            let step = CHUNKED_STEP.min(self.max_bytes.saturating_sub(self.reserved).max(UNIT));
            let wanted = u32::try_from(units(step)).map_err(|_| busy())?;
            let more = self
                .bytes
                .clone()
                .try_acquire_many_owned(wanted)
                .map_err(|_| busy())?;
            self.permit.merge(more);
            self.reserved += units(step) * UNIT;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[test]
    fn a_body_that_does_not_fit_is_refused_before_it_is_read() {
        let gate = UploadGate::new(64 * MB, 2);
        let first = gate.admit(1, Some(40 * MB), 50 * MB).unwrap();
        assert_eq!(gate.bytes_in_flight(), 40 * MB);
        let refused = gate.admit(2, Some(40 * MB), 50 * MB).err().unwrap();
        assert_eq!(
            (refused.code, refused.retry_after),
            (Code::UploadsBusy, Some(10))
        );
        drop(first);
        assert_eq!(gate.bytes_in_flight(), 0);
        assert!(gate.admit(2, Some(40 * MB), 50 * MB).is_ok());
        let never = gate.admit(3, Some(51 * MB), 50 * MB).err().unwrap();
        assert_eq!(never.code.status().as_u16(), 413);
    }

    #[test]
    fn an_account_sends_its_share_at_once_and_no_more() {
        let gate = UploadGate::new(64 * MB, 2);
        let a = gate.admit(7, Some(MB), 20 * MB).unwrap();
        let _b = gate.admit(7, Some(MB), 20 * MB).unwrap();
        let refused = gate.admit(7, Some(MB), 20 * MB).err().unwrap();
        assert_eq!(refused.code.status().as_u16(), 429);
        assert_eq!(refused.retry_after, Some(5));
        assert!(gate.admit(8, Some(MB), 20 * MB).is_ok(), "another account");
        drop(a);
        assert!(gate.admit(7, Some(MB), 20 * MB).is_ok());
    }

    #[test]
    fn a_chunked_body_reserves_as_it_streams() {
        let gate = UploadGate::new(4 * MB, 2);
        let mut pass = gate.admit(1, None, 3 * MB).unwrap();
        assert_eq!(gate.bytes_in_flight(), MB);
        pass.read((2 * MB + 10) as usize).unwrap();
        assert_eq!(gate.bytes_in_flight(), 3 * MB);
        let err = pass.read(MB as usize).err().unwrap();
        assert_eq!(err.code.status().as_u16(), 413);
        drop(pass);
        let mut hog = gate.admit(2, Some(3 * MB), 3 * MB).unwrap();
        hog.read((3 * MB) as usize).unwrap();
        let mut other = gate.admit(3, None, 3 * MB).unwrap();
        assert_eq!(
            other.read((MB + 1) as usize).err().map(|e| e.code),
            Some(Code::UploadsBusy)
        );
    }
}
