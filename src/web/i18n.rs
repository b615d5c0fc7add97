//! The pages' two languages: which one a request wants, and every UI string in Vietnamese and English.

use crate::domain::listing::{Certification, ListingStatus};
use crate::domain::marketplace::Platform;
use crate::messages::Message;
use actix_web::HttpRequest;

pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// `?lang=` wins, then the `lang` cookie, then Vietnamese.
    pub fn of(req: &HttpRequest) -> Lang {
        Lang::requested(req)
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
            .unwrap_or(Lang::Vi)
    }

    /// The language named in the query string, if any (the page then remembers it in a cookie).
    pub fn requested(req: &HttpRequest) -> Option<Lang> {
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn t(self) -> &'static Texts {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    pub fn month_name(self, month: u32) -> String {
        match self {
            Lang::Vi => format!("Tháng {month}"),
            Lang::En => EN_MONTHS
                .get(month.saturating_sub(1) as usize)
                .copied()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    pub fn month_short(self, month: u8) -> String {
        match self {
            Lang::Vi => format!("T{month}"),
            Lang::En => EN_MONTHS
                .get(usize::from(month.saturating_sub(1)))
                .map(|m| m.chars().take(3).collect())
                .unwrap_or_default(),
        }
    }

    pub fn results(self, n: usize) -> String {
        match self {
            Lang::Vi => format!("{n} kết quả"),
            Lang::En if n == 1 => "1 result".to_owned(),
            Lang::En => format!("{n} results"),
        }
    }

    pub fn ocop_stars(self, stars: i16) -> String {
        match self {
            Lang::Vi => format!("OCOP {stars} sao"),
            Lang::En => format!("OCOP {stars} stars"),
        }
    }

    /// "5 nhãn trên 3 trang".
    pub fn label_count(self, labels: usize, pages: usize) -> String {
        match self {
            Lang::Vi => format!("{labels} nhãn trên {pages} trang"),
            Lang::En => format!(
                "{labels} label{} on {pages} page{}",
                if labels == 1 { "" } else { "s" },
                if pages == 1 { "" } else { "s" }
            ),
        }
    }

    pub fn in_season(self, month: u32) -> String {
        match self {
            Lang::Vi => format!("Đang vào mùa tháng {month}"),
            Lang::En => format!("In season in {}", self.month_name(month)),
        }
    }

    /// Why a sign-in was refused after too many failures, and for how long (rounded up to
    /// whole minutes past the first).
    pub fn wait_before_signing_in(self, seconds: u64) -> String {
        let minutes = seconds.div_ceil(60);
        match (self, seconds) {
            (Lang::Vi, 0..=59) => {
                format!("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {seconds} giây.")
            }
            (Lang::Vi, _) => {
                format!("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút.")
            }
            (Lang::En, 0..=59) => {
                format!("Too many failed sign-ins. Please try again in {seconds} seconds.")
            }
            (Lang::En, _) => {
                format!("Too many failed sign-ins. Please try again in {minutes} minutes.")
            }
        }
    }

    pub fn certification(self, c: Certification) -> &'static str {
        match self {
            Lang::Vi => c.label_vi(),
            Lang::En => c.label_en(),
        }
    }

    /// The label of a marketplace button.
    pub fn buy_on(self, platform: Platform) -> String {
        let name = platform.display_name();
        match (self, platform) {
            (Lang::Vi, Platform::Facebook) => "Xem trên Facebook".to_owned(),
            (Lang::Vi, Platform::Zalo) => "Nhắn Zalo".to_owned(),
            (Lang::Vi, Platform::Website) => "Xem trang web".to_owned(),
            (Lang::Vi, _) => format!("Mua trên {name}"),
            (Lang::En, Platform::Facebook) => "See on Facebook".to_owned(),
            (Lang::En, Platform::Zalo) => "Message on Zalo".to_owned(),
            (Lang::En, Platform::Website) => "Visit the website".to_owned(),
            (Lang::En, _) => format!("Buy on {name}"),
        }
    }

    pub fn status(self, status: ListingStatus) -> &'static str {
        let t = self.t();
        match status {
            ListingStatus::Draft => t.status_draft,
            ListingStatus::Pending => t.status_pending,
            ListingStatus::Published => t.status_published,
            ListingStatus::Archived => t.status_archived,
        }
    }

    /// A validation message, by its key, in this language.
    pub fn field_message(self, key: &Message) -> String {
        match self {
            Lang::Vi => key.vi(),
            Lang::En => capitalise(&key.en()),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') && !out.ends_with('/') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Every fixed string the pages show.
pub struct Texts {
    pub code: &'static str,
    pub other_lang_code: &'static str,
    pub other_lang_name: &'static str,
    pub tagline: &'static str,
    pub nav_search: &'static str,
    pub nav_events: &'static str,
    pub nav_members: &'static str,
    pub footer: &'static str,
    pub search_label: &'static str,
    pub search_placeholder: &'static str,
    pub search_button: &'static str,
    pub upcoming_festivals: &'static str,
    pub ocop_highlights: &'static str,
    pub by_category: &'static str,
    pub by_place: &'static str,
    pub see_all: &'static str,
    pub nothing_yet: &'static str,
    pub filters: &'static str,
    pub any: &'static str,
    pub category: &'static str,
    pub place: &'static str,
    pub kind: &'static str,
    pub kind_product: &'static str,
    pub kind_experience: &'static str,
    pub kind_event: &'static str,
    pub in_season_month: &'static str,
    pub ocop_from: &'static str,
    pub price_from: &'static str,
    pub price_to: &'static str,
    pub sort: &'static str,
    pub sort_relevance: &'static str,
    pub sort_newest: &'static str,
    pub sort_price_asc: &'static str,
    pub sort_price_desc: &'static str,
    pub apply: &'static str,
    pub clear_filters: &'static str,
    pub load_more: &'static str,
    pub no_results: &'static str,
    /// Before the closest reading, when the query as typed found nothing.
    pub did_you_mean: &'static str,
    pub ask_price: &'static str,
    pub certifications: &'static str,
    pub season: &'static str,
    pub cooperative: &'static str,
    pub call: &'static str,
    pub view_map: &'static str,
    pub where_to_buy: &'static str,
    pub no_links: &'static str,
    pub dates: &'static str,
    pub every_year: &'static str,
    pub about: &'static str,
    pub festival_calendar: &'static str,
    pub listings_of_coop: &'static str,
    pub specialities_of: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub home: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub wrong_login: &'static str,
    pub sign_in_busy: &'static str,
    pub form_expired: &'static str,
    pub my_listings: &'static str,
    pub add_listing: &'static str,
    pub edit_listing: &'static str,
    pub edit: &'static str,
    pub view_page: &'static str,
    pub status_draft: &'static str,
    pub status_pending: &'static str,
    pub status_published: &'static str,
    pub status_archived: &'static str,
    pub rejected: &'static str,
    pub submit_review: &'static str,
    pub archive: &'static str,
    pub archive_confirm: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub submitted: &'static str,
    pub published_now: &'static str,
    pub archived_done: &'static str,
    pub fix_fields: &'static str,
    pub f_name: &'static str,
    pub f_kind: &'static str,
    pub f_category: &'static str,
    pub f_price: &'static str,
    pub f_price_hint: &'static str,
    pub f_unit: &'static str,
    pub f_unit_hint: &'static str,
    pub f_season: &'static str,
    pub f_description: &'static str,
    pub f_links: &'static str,
    pub f_links_hint: &'static str,
    pub f_platform: &'static str,
    pub f_url: &'static str,
    pub f_event_start: &'static str,
    pub f_event_end: &'static str,
    pub f_recurs: &'static str,
    pub photos: &'static str,
    pub take_photo: &'static str,
    pub choose_photos: &'static str,
    pub upload: &'static str,
    pub uploading: &'static str,
    pub upload_failed: &'static str,
    pub upload_waiting: &'static str,
    pub upload_done: &'static str,
    pub upload_error: &'static str,
    pub upload_busy: &'static str,
    pub upload_heic: &'static str,
    pub upload_format: &'static str,
    pub upload_big: &'static str,
    pub upload_corrupt: &'static str,
    pub upload_many: &'static str,
    pub photos_first_save: &'static str,
    pub no_photos: &'static str,
    pub cover: &'static str,
    pub move_up: &'static str,
    pub delete: &'static str,
    pub clicks_title: &'static str,
    pub clicks: &'static str,
    pub no_clicks: &'static str,
    pub admin: &'static str,
    pub review_queue: &'static str,
    /// The bulk import pages.
    pub imports: &'static ImportTexts,
    /// Revisions of published listings: the review diff and the member's notice.
    pub revisions: &'static RevisionTexts,
    /// Passwords, API tokens and the admins' account list.
    pub accounts: &'static AccountTexts,
    /// The QR label sheet.
    pub labels: &'static LabelTexts,
    /// Sharing a listing page.
    pub share: &'static ShareTexts,
    /// Views and clicks for members, the commune report for officers.
    pub stats: &'static StatsTexts,
    pub queue_empty: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub reason: &'static str,
    pub reason_hint: &'static str,
    pub approved: &'static str,
    pub rejected_done: &'static str,
    pub cooperatives: &'static str,
    pub new_coop: &'static str,
    pub coop_slug: &'static str,
    pub coop_name: &'static str,
    pub phone: &'static str,
    pub create: &'static str,
    pub created: &'static str,
    pub new_account: &'static str,
    pub role: &'static str,
    pub role_member: &'static str,
    pub role_admin: &'static str,
    pub none: &'static str,
}

pub static VI: Texts = Texts {
    code: "vi",
    other_lang_code: "en",
    other_lang_name: "English",
    tagline: "Đặc sản vùng cao Tuyên Quang",
    nav_search: "Tìm kiếm",
    nav_events: "Lễ hội",
    nav_members: "Hợp tác xã",
    footer: "Hàng do các hợp tác xã bán trên sàn thương mại điện tử; giá do hợp tác xã đặt.",
    search_label: "Tìm đặc sản",
    search_placeholder: "Chè, cam sành, mật ong…",
    search_button: "Tìm",
    upcoming_festivals: "Lễ hội sắp tới",
    ocop_highlights: "Sản phẩm OCOP nổi bật",
    by_category: "Theo loại hàng",
    by_place: "Theo địa phương",
    see_all: "Xem tất cả",
    nothing_yet: "Chưa có gì ở đây.",
    filters: "Bộ lọc",
    any: "Tất cả",
    category: "Loại hàng",
    place: "Địa phương",
    kind: "Kiểu",
    kind_product: "Sản phẩm",
    kind_experience: "Trải nghiệm, lưu trú",
    kind_event: "Lễ hội, sự kiện",
    in_season_month: "Vào mùa tháng",
    ocop_from: "OCOP từ",
    price_from: "Giá từ (₫)",
    price_to: "Đến (₫)",
    sort: "Sắp xếp",
    sort_relevance: "Phù hợp nhất",
    sort_newest: "Mới nhất",
    sort_price_asc: "Giá thấp đến cao",
    sort_price_desc: "Giá cao đến thấp",
    apply: "Áp dụng",
    clear_filters: "Bỏ lọc",
    load_more: "Xem thêm",
    no_results: "Không tìm thấy. Hãy thử từ khác hoặc bỏ bớt bộ lọc.",
    did_you_mean: "Có phải bạn tìm:",
    ask_price: "Liên hệ để biết giá",
    certifications: "Chứng nhận",
    season: "Mùa vụ",
    cooperative: "Hợp tác xã",
    call: "Gọi",
    view_map: "Xem bản đồ",
    where_to_buy: "Mua ở đâu",
    no_links: "Hãy gọi cho hợp tác xã để đặt hàng.",
    dates: "Thời gian",
    every_year: "Hằng năm",
    about: "Giới thiệu",
    festival_calendar: "Lịch lễ hội",
    listings_of_coop: "Sản phẩm của hợp tác xã",
    specialities_of: "Đặc sản",
    not_found_title: "Không tìm thấy trang",
    not_found_text: "Trang này không có hoặc đã bị gỡ.",
    home: "Về trang chủ",
    sign_in: "Đăng nhập",
    sign_out: "Đăng xuất",
    email: "Email",
    password: "Mật khẩu",
    wrong_login: "Sai email hoặc mật khẩu.",
    sign_in_busy: "Máy chủ đang bận kiểm tra đăng nhập. Vui lòng thử lại sau vài giây.",
    form_expired: "Biểu mẫu đã hết hạn. Vui lòng thử lại.",
    my_listings: "Sản phẩm của tôi",
    add_listing: "Thêm sản phẩm",
    edit_listing: "Sửa sản phẩm",
    edit: "Sửa",
    view_page: "Xem trang",
    status_draft: "Bản nháp",
    status_pending: "Chờ duyệt",
    status_published: "Đang bán",
    status_archived: "Đã lưu trữ",
    rejected: "Bị từ chối",
    submit_review: "Gửi duyệt",
    archive: "Lưu trữ",
    archive_confirm: "Lưu trữ sản phẩm này? Sản phẩm sẽ không còn hiện cho người mua.",
    save: "Lưu",
    saved: "Đã lưu.",
    submitted: "Đã gửi duyệt. Ban quản trị sẽ xem sớm.",
    published_now: "Sản phẩm đã được đăng bán.",
    archived_done: "Đã lưu trữ.",
    fix_fields: "Vui lòng sửa các ô được đánh dấu.",
    f_name: "Tên sản phẩm",
    f_kind: "Kiểu",
    f_category: "Loại hàng",
    f_price: "Giá (đồng)",
    f_price_hint: "Ví dụ: 450000. Để trống nếu miễn phí.",
    f_unit: "Đơn vị",
    f_unit_hint: "Ví dụ: hộp 200 g",
    f_season: "Tháng vào mùa",
    f_description: "Mô tả",
    f_links: "Nơi bán",
    f_links_hint: "Dán đường dẫn tới gian hàng trên sàn.",
    f_platform: "Sàn",
    f_url: "Đường dẫn",
    f_event_start: "Ngày bắt đầu",
    f_event_end: "Ngày kết thúc",
    f_recurs: "Lặp lại hằng năm",
    photos: "Ảnh",
    take_photo: "Chụp ảnh",
    choose_photos: "Chọn ảnh có sẵn",
    upload: "Tải ảnh lên",
    uploading: "Đang tải lên…",
    upload_failed: "Tải ảnh thất bại. Hãy thử lại.",
    upload_waiting: "Chờ mạng: ảnh được giữ trên máy, có mạng lại sẽ tự gửi.",
    upload_done: "Đã tải lên",
    upload_error: "Lỗi",
    upload_busy: "Máy chủ đang bận xử lý các ảnh khác. Vui lòng thử lại sau một phút.",
    upload_heic: "Máy chủ này được dựng không kèm hỗ trợ ảnh HEIC (iPhone). Vui lòng gửi ảnh JPEG: Cài đặt > Camera > Định dạng > Tương thích nhất.",
    upload_format: "Tệp này không phải là ảnh. Vui lòng gửi ảnh JPEG, PNG hoặc WebP.",
    upload_big: "Ảnh quá lớn. Vui lòng gửi ảnh nhỏ hơn.",
    upload_corrupt: "Ảnh bị hỏng hoặc chưa tải lên hết (có thể do mạng yếu). Vui lòng gửi lại.",
    upload_many: "Mỗi sản phẩm có tối đa 10 ảnh.",
    photos_first_save: "Lưu sản phẩm trước, sau đó thêm ảnh.",
    no_photos: "Chưa có ảnh.",
    cover: "Ảnh bìa",
    move_up: "Lên trước",
    delete: "Xóa",
    clicks_title: "Lượt bấm vào nơi bán",
    clicks: "lượt",
    no_clicks: "Chưa có lượt bấm nào.",
    admin: "Quản trị",
    review_queue: "Chờ duyệt",
    imports: &IMPORTS_VI,
    revisions: &REVISIONS_VI,
    accounts: &ACCOUNTS_VI,
    labels: &LABELS_VI,
    share: &SHARE_VI,
    stats: &STATS_VI,
    queue_empty: "Không có sản phẩm nào chờ duyệt.",
    approve: "Duyệt và đăng bán",
    reject: "Từ chối",
    reason: "Lý do",
    reason_hint: "Ví dụ: Ảnh bị mờ, vui lòng chụp lại",
    approved: "Đã duyệt, sản phẩm đang bán.",
    rejected_done: "Đã từ chối, hợp tác xã sẽ thấy lý do.",
    cooperatives: "Hợp tác xã",
    new_coop: "Thêm hợp tác xã",
    coop_slug: "Mã (không dấu), ví dụ htx-mien-dong",
    coop_name: "Tên hợp tác xã",
    phone: "Số điện thoại",
    create: "Tạo",
    created: "Đã tạo.",
    new_account: "Thêm tài khoản",
    role: "Vai trò",
    role_member: "Thành viên hợp tác xã",
    role_admin: "Quản trị",
    none: "Không",
};

pub static EN: Texts = Texts {
    code: "en",
    other_lang_code: "vi",
    other_lang_name: "Tiếng Việt",
    tagline: "Highland specialities of Tuyên Quang",
    nav_search: "Search",
    nav_events: "Festivals",
    nav_members: "Cooperatives",
    footer: "Cooperatives sell on the marketplaces and set their own prices.",
    search_label: "Find local products",
    search_placeholder: "Tea, king oranges, honey…",
    search_button: "Search",
    upcoming_festivals: "Upcoming festivals",
    ocop_highlights: "OCOP highlights",
    by_category: "By category",
    by_place: "By place",
    see_all: "See all",
    nothing_yet: "Nothing here yet.",
    filters: "Filters",
    any: "Any",
    category: "Category",
    place: "Place",
    kind: "Type",
    kind_product: "Products",
    kind_experience: "Experiences and stays",
    kind_event: "Festivals and events",
    in_season_month: "In season in",
    ocop_from: "OCOP from",
    price_from: "Price from (₫)",
    price_to: "To (₫)",
    sort: "Sort",
    sort_relevance: "Best match",
    sort_newest: "Newest",
    sort_price_asc: "Price: low to high",
    sort_price_desc: "Price: high to low",
    apply: "Apply",
    clear_filters: "Clear filters",
    load_more: "Load more",
    no_results: "Nothing found. Try other words or fewer filters.",
    did_you_mean: "Did you mean:",
    ask_price: "Ask for the price",
    certifications: "Certifications",
    season: "Season",
    cooperative: "Cooperative",
    call: "Call",
    view_map: "View map",
    where_to_buy: "Where to buy",
    no_links: "Call the cooperative to order.",
    dates: "Dates",
    every_year: "Every year",
    about: "About",
    festival_calendar: "Festival calendar",
    listings_of_coop: "From this cooperative",
    specialities_of: "Specialities of",
    not_found_title: "Page not found",
    not_found_text: "This page does not exist or was taken down.",
    home: "Home",
    sign_in: "Sign in",
    sign_out: "Sign out",
    email: "Email",
    password: "Password",
    wrong_login: "Wrong email or password.",
    sign_in_busy: "The server is busy checking sign-ins. Please try again in a few seconds.",
    form_expired: "The form expired. Please try again.",
    my_listings: "My listings",
    add_listing: "Add a listing",
    edit_listing: "Edit listing",
    edit: "Edit",
    view_page: "View page",
    status_draft: "Draft",
    status_pending: "Waiting for review",
    status_published: "On sale",
    status_archived: "Archived",
    rejected: "Rejected",
    submit_review: "Submit for review",
    archive: "Archive",
    archive_confirm: "Archive this listing? Shoppers will no longer see it.",
    save: "Save",
    saved: "Saved.",
    submitted: "Sent for review. An admin will look at it soon.",
    published_now: "The listing is on sale.",
    archived_done: "Archived.",
    fix_fields: "Please fix the marked fields.",
    f_name: "Name",
    f_kind: "Type",
    f_category: "Category",
    f_price: "Price (đồng)",
    f_price_hint: "For example 450000. Leave empty when free.",
    f_unit: "Unit",
    f_unit_hint: "For example: box of 200 g",
    f_season: "Months in season",
    f_description: "Description",
    f_links: "Where it is sold",
    f_links_hint: "Paste the link to your shop on the marketplace.",
    f_platform: "Marketplace",
    f_url: "Link",
    f_event_start: "First day",
    f_event_end: "Last day",
    f_recurs: "Every year",
    photos: "Photos",
    take_photo: "Take a photo",
    choose_photos: "Choose photos",
    upload: "Upload photos",
    uploading: "Uploading…",
    upload_failed: "The upload failed. Please try again.",
    upload_waiting: "Waiting for the network: the photo is kept on this phone and sent when the connection returns.",
    upload_done: "Uploaded",
    upload_error: "Error",
    upload_busy: "The server is busy with other photos. Please try again in a minute.",
    upload_heic: "This server was built without HEIC (iPhone) support. Please send JPEG: Settings > Camera > Formats > Most Compatible.",
    upload_format: "This file is not a photo. Please send a JPEG, PNG or WebP photo.",
    upload_big: "The photo is too large. Please send a smaller one.",
    upload_corrupt: "The photo is damaged or incomplete (perhaps a weak connection). Please send it again.",
    upload_many: "A listing has at most 10 photos.",
    photos_first_save: "Save the listing first, then add photos.",
    no_photos: "No photos yet.",
    cover: "Cover",
    move_up: "Move up",
    delete: "Delete",
    clicks_title: "Clicks to marketplaces",
    clicks: "clicks",
    no_clicks: "No clicks yet.",
    admin: "Admin",
    review_queue: "Waiting for review",
    imports: &IMPORTS_EN,
    revisions: &REVISIONS_EN,
    accounts: &ACCOUNTS_EN,
    labels: &LABELS_EN,
    share: &SHARE_EN,
    stats: &STATS_EN,
    queue_empty: "Nothing is waiting for review.",
    approve: "Approve and publish",
    reject: "Reject",
    reason: "Reason",
    reason_hint: "For example: the photo is blurred, please take it again",
    approved: "Approved: the listing is on sale.",
    rejected_done: "Rejected: the cooperative will see the reason.",
    cooperatives: "Cooperatives",
    new_coop: "Add a cooperative",
    coop_slug: "Slug, e.g. htx-mien-dong",
    coop_name: "Cooperative name",
    phone: "Phone",
    create: "Create",
    created: "Created.",
    new_account: "Add an account",
    role: "Role",
    role_member: "Cooperative member",
    role_admin: "Admin",
    none: "None",
};

/// The share links of a listing page.
pub struct ShareTexts {
    pub heading: &'static str,
    pub zalo: &'static str,
    pub facebook: &'static str,
    pub copy: &'static str,
    /// Shown once the link is on the clipboard.
    pub copied: &'static str,
    /// Shown when the browser would not copy: the link is selected for the shopper to copy.
    pub copy_by_hand: &'static str,
    pub link_label: &'static str,
}

pub static SHARE_VI: ShareTexts = ShareTexts {
    heading: "Chia sẻ",
    zalo: "Chia sẻ Zalo",
    facebook: "Chia sẻ Facebook",
    copy: "Sao chép liên kết",
    copied: "Đã sao chép",
    copy_by_hand: "Liên kết đã được chọn: hãy nhấn giữ để sao chép.",
    link_label: "Liên kết của trang này",
};

pub static SHARE_EN: ShareTexts = ShareTexts {
    heading: "Share",
    zalo: "Share on Zalo",
    facebook: "Share on Facebook",
    copy: "Copy link",
    copied: "Copied",
    copy_by_hand: "The link is selected: press and hold to copy it.",
    link_label: "Link to this page",
};

/// What the review queue and a member's edit page say of a published listing's revision.
pub struct RevisionTexts {
    pub heading: &'static str,
    pub field: &'static str,
    pub now: &'static str,
    pub proposed: &'static str,
    pub photos: &'static str,
    pub photos_changed: &'static str,
    pub stale: &'static str,
    pub waiting: &'static str,
    pub rejected: &'static str,
    pub at_once: &'static str,
    /// Names of the reviewed fields, in `review::REVIEWED_FIELDS` order.
    pub fields: [&'static str; 12],
}

pub static REVISIONS_VI: RevisionTexts = RevisionTexts {
    heading: "Sửa đổi sản phẩm đang bán",
    field: "Mục",
    now: "Đang hiển thị",
    proposed: "Đề nghị sửa",
    photos: "Ảnh",
    photos_changed: "Ảnh đã thay đổi (thêm, bớt hoặc đổi thứ tự). Ảnh mới:",
    stale:
        "Sản phẩm vừa được sửa sau khi bạn xem. Hãy xem lại bản mới nhất bên dưới rồi quyết định.",
    waiting: "Các thay đổi của bạn đang chờ duyệt. Khách vẫn thấy bản đã duyệt trước đó.",
    rejected: "Thay đổi gần nhất bị từ chối. Lý do:",
    at_once: "Giá, đơn vị và mùa vụ được cập nhật ngay; các mục khác cần được duyệt lại.",
    fields: [
        "Tên",
        "Mô tả",
        "Loại",
        "Danh mục",
        "Địa phương",
        "Đường dẫn",
        "Nơi bán",
        "Sao OCOP",
        "Số chứng nhận OCOP",
        "OCOP hết hạn",
        "Chứng nhận",
        "Ngày lễ hội",
    ],
};

pub static REVISIONS_EN: RevisionTexts = RevisionTexts {
    heading: "Changes to a listing on sale",
    field: "Field",
    now: "Shown now",
    proposed: "Proposed",
    photos: "Photos",
    photos_changed: "Photos changed (added, removed or reordered). New photos:",
    stale:
        "The listing changed after you looked at it. Check the newest version below, then decide.",
    waiting: "Your changes are waiting for review. Shoppers still see the approved version.",
    rejected: "Your last changes were turned down. Reason:",
    at_once: "Price, unit and season change at once; other changes are reviewed first.",
    fields: [
        "Name",
        "Description",
        "Kind",
        "Category",
        "Place",
        "Web address",
        "Where to buy",
        "OCOP stars",
        "OCOP certificate",
        "OCOP expires",
        "Certifications",
        "Event dates",
    ],
};

/// The bulk import pages' strings: the upload form, the job's progress and its report.
pub struct ImportTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub file: &'static str,
    pub file_hint: &'static str,
    pub partial: &'static str,
    pub archive_missing: &'static str,
    pub start: &'static str,
    pub templates: &'static str,
    pub export: &'static str,
    pub export_own: &'static str,
    pub no_file: &'static str,
    pub job_title: &'static str,
    pub checking: &'static str,
    pub photos: &'static str,
    pub writing: &'static str,
    pub refreshes: &'static str,
    pub written: &'static str,
    pub not_written: &'static str,
    pub refused: &'static str,
    pub rows: &'static str,
    pub added: &'static str,
    pub updated: &'static str,
    pub unchanged: &'static str,
    pub archived: &'static str,
    pub invalid: &'static str,
    pub row: &'static str,
    pub column: &'static str,
    pub value: &'static str,
    pub message: &'static str,
    pub again: &'static str,
    pub no_cooperative: &'static str,
}

pub static IMPORTS_VI: ImportTexts = ImportTexts {
    title: "Nhập danh sách sản phẩm",
    intro: "Tải lên bảng tính Excel (.xlsx), tệp CSV hoặc JSON; hoặc tệp .zip gồm bảng tính và thư mục photos/ chứa ảnh (cột «Ảnh» ghi tên tệp ảnh, ảnh đầu tiên là ảnh bìa). Mọi dòng được kiểm tra trước khi ghi.",
    file: "Tệp cần nhập",
    file_hint: ".xlsx, .csv, .json hoặc .zip, tối đa 100 MB",
    partial: "Nhập các dòng hợp lệ (bỏ qua các dòng có lỗi)",
    archive_missing: "Lưu trữ các sản phẩm đang đăng của hợp tác xã mà tệp không còn ghi",
    start: "Bắt đầu nhập",
    templates: "Tệp mẫu",
    export: "Xuất toàn bộ danh mục",
    export_own: "Xuất sản phẩm của hợp tác xã",
    no_file: "Hãy chọn một tệp để nhập.",
    job_title: "Lần nhập",
    checking: "Đang kiểm tra các dòng",
    photos: "Đang xử lý ảnh",
    writing: "Đang ghi",
    refreshes: "Trang tự tải lại sau 2 giây.",
    written: "Đã nhập xong.",
    not_written: "Chưa ghi gì cả: hãy sửa các dòng bên dưới, hoặc chọn «Nhập các dòng hợp lệ».",
    refused: "Không nhập được tệp này.",
    rows: "Số dòng",
    added: "Thêm mới",
    updated: "Cập nhật",
    unchanged: "Không đổi",
    archived: "Lưu trữ",
    invalid: "Dòng lỗi",
    row: "Dòng",
    column: "Cột",
    value: "Giá trị",
    message: "Vấn đề",
    again: "Nhập tệp khác",
    no_cooperative: "Tài khoản này không thuộc hợp tác xã nào nên không nhập được sản phẩm.",
};

pub static IMPORTS_EN: ImportTexts = ImportTexts {
    title: "Import listings",
    intro: "Upload an Excel sheet (.xlsx), a CSV or JSON file; or a .zip holding the sheet and a photos/ folder (the «photos» column names the files, the first is the cover). Every row is checked before anything is written.",
    file: "File to import",
    file_hint: ".xlsx, .csv, .json or .zip, at most 100 MB",
    partial: "Import the valid rows (skip the rows with problems)",
    archive_missing: "Archive the cooperatives' published listings the file no longer names",
    start: "Start the import",
    templates: "Templates",
    export: "Export the whole catalogue",
    export_own: "Export the cooperative's listings",
    no_file: "Choose a file to import.",
    job_title: "Import",
    checking: "Checking the rows",
    photos: "Processing photos",
    writing: "Writing",
    refreshes: "This page reloads every 2 seconds.",
    written: "The import is done.",
    not_written: "Nothing was written: fix the rows below, or choose «Import the valid rows».",
    refused: "This file cannot be imported.",
    rows: "Rows",
    added: "Added",
    updated: "Updated",
    unchanged: "Unchanged",
    archived: "Archived",
    invalid: "Rows with problems",
    row: "Row",
    column: "Column",
    value: "Value",
    message: "Problem",
    again: "Import another file",
    no_cooperative: "This account belongs to no cooperative, so it cannot import listings.",
};

/// The account pages' strings: a member's password and API tokens, the admins' account list.
pub struct AccountTexts {
    pub security: &'static str,
    pub change_password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub new_password_again: &'static str,
    pub password_changed: &'static str,
    pub tokens: &'static str,
    pub tokens_intro: &'static str,
    pub no_tokens: &'static str,
    pub label: &'static str,
    pub created: &'static str,
    pub expires: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub expired: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub accounts: &'static str,
    pub state: &'static str,
    pub active: &'static str,
    pub disabled_since: &'static str,
    pub disable: &'static str,
    pub disable_confirm: &'static str,
    pub enable: &'static str,
    pub reset_password: &'static str,
    pub disabled_done: &'static str,
    pub enabled_done: &'static str,
    pub reset_done: &'static str,
    pub you: &'static str,
    pub account_disabled: &'static str,
}

pub static ACCOUNTS_VI: AccountTexts = AccountTexts {
    security: "Mật khẩu và mã API",
    change_password: "Đổi mật khẩu",
    current_password: "Mật khẩu hiện tại",
    new_password: "Mật khẩu mới (ít nhất 8 ký tự)",
    new_password_again: "Nhập lại mật khẩu mới",
    password_changed: "Đã đổi mật khẩu. Các nơi khác đang đăng nhập tài khoản này đã bị đăng xuất.",
    tokens: "Mã API",
    tokens_intro: "Ứng dụng dùng mã API thay cho mật khẩu. Hãy thu hồi mã không còn dùng.",
    no_tokens: "Chưa có mã API nào.",
    label: "Tên",
    created: "Ngày tạo",
    expires: "Hết hạn",
    last_used: "Dùng lần cuối",
    never: "Chưa dùng",
    expired: "Đã hết hạn",
    revoke: "Thu hồi",
    revoked: "Đã thu hồi mã.",
    accounts: "Tài khoản",
    state: "Trạng thái",
    active: "Đang hoạt động",
    disabled_since: "Đã khóa từ",
    disable: "Khóa",
    disable_confirm: "Khóa tài khoản này? Tài khoản bị đăng xuất ngay và không đăng nhập được nữa.",
    enable: "Mở khóa",
    reset_password: "Đặt mật khẩu mới",
    disabled_done: "Đã khóa tài khoản: mọi phiên đăng nhập và mã API của tài khoản đã bị thu hồi.",
    enabled_done: "Đã mở khóa tài khoản.",
    reset_done: "Đã đặt mật khẩu mới: tài khoản phải đăng nhập lại.",
    you: "(bạn)",
    account_disabled: "Tài khoản này đã bị khóa. Vui lòng liên hệ ban quản trị.",
};

pub static ACCOUNTS_EN: AccountTexts = AccountTexts {
    security: "Password and API tokens",
    change_password: "Change password",
    current_password: "Current password",
    new_password: "New password (at least 8 characters)",
    new_password_again: "New password again",
    password_changed: "Password changed. Everywhere else this account was signed in is signed out.",
    tokens: "API tokens",
    tokens_intro:
        "Apps use an API token instead of your password. Revoke the ones you no longer use.",
    no_tokens: "No API tokens yet.",
    label: "Name",
    created: "Created",
    expires: "Expires",
    last_used: "Last used",
    never: "Never",
    expired: "Expired",
    revoke: "Revoke",
    revoked: "Token revoked.",
    accounts: "Accounts",
    state: "State",
    active: "Active",
    disabled_since: "Disabled since",
    disable: "Disable",
    disable_confirm: "Disable this account? It is signed out at once and can no longer sign in.",
    enable: "Enable",
    reset_password: "Set a new password",
    disabled_done: "Account disabled: all its sessions and API tokens are revoked.",
    enabled_done: "Account enabled.",
    reset_done: "New password set: the account must sign in again.",
    you: "(you)",
    account_disabled: "This account is disabled. Please contact the admins.",
};

/// The QR label sheet's strings: choosing listings, labels per page, printing.
pub struct LabelTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub listings: &'static str,
    pub per_page: &'static str,
    pub show: &'static str,
    pub print: &'static str,
    pub print_hint: &'static str,
    pub none_on_sale: &'static str,
    pub qr_label: &'static str,
}

pub static LABELS_VI: LabelTexts = LabelTexts {
    title: "In nhãn QR",
    intro: "Chọn sản phẩm đang bán và số nhãn trên mỗi trang A4. Mỗi nhãn có tên, giá, sao OCOP và mã QR dẫn tới trang sản phẩm.",
    listings: "Sản phẩm cần in nhãn",
    per_page: "Số nhãn mỗi trang (1–24)",
    show: "Xem nhãn",
    print: "In",
    print_hint: "Khi in, chọn khổ giấy A4 và tỉ lệ 100%.",
    none_on_sale: "Chưa có sản phẩm nào đang bán để in nhãn.",
    qr_label: "Mã QR tới trang sản phẩm",
};

pub static LABELS_EN: LabelTexts = LabelTexts {
    title: "Print QR labels",
    intro: "Choose listings on sale and how many labels go on each A4 page. Each label shows the name, price, OCOP stars and a QR code to the listing's page.",
    listings: "Listings to label",
    per_page: "Labels per page (1–24)",
    show: "Show labels",
    print: "Print",
    print_hint: "When printing, choose A4 paper at 100% scale.",
    none_on_sale: "No listings on sale to label yet.",
    qr_label: "QR code to the listing's page",
};

/// The statistics pages' strings: a listing's views and clicks, the commune report.
pub struct StatsTexts {
    pub title: &'static str,
    pub see: &'static str,
    pub views: &'static str,
    pub clicks: &'static str,
    pub period: &'static str,
    pub days_30: &'static str,
    pub days_90: &'static str,
    pub last_days: &'static str,
    pub per_marketplace: &'static str,
    pub per_day: &'static str,
    pub day: &'static str,
    pub marketplace: &'static str,
    pub total: &'static str,
    pub not_counted: &'static str,
    pub back: &'static str,
    pub report: &'static str,
    pub report_intro: &'static str,
    pub from_month: &'static str,
    pub to_month: &'static str,
    pub show: &'static str,
    pub download_csv: &'static str,
    pub download_xlsx: &'static str,
    pub month: &'static str,
    pub cooperatives: &'static str,
    pub active_members: &'static str,
    pub listings: &'static str,
    pub with_photos: &'static str,
    pub ocop: &'static str,
    pub page_views: &'static str,
    pub marketplace_clicks: &'static str,
    pub how_counted: &'static str,
    /// What each column counts, in column order from "cooperatives".
    pub definitions: [&'static str; 7],
    pub no_communes: &'static str,
    pub bad_range: &'static str,
}

pub static STATS_VI: StatsTexts = StatsTexts {
    title: "Thống kê",
    see: "Xem thống kê",
    views: "lượt xem",
    clicks: "lượt bấm sang sàn",
    period: "Khoảng thời gian",
    days_30: "30 ngày",
    days_90: "90 ngày",
    last_days: "ngày gần nhất",
    per_marketplace: "Lượt bấm theo sàn",
    per_day: "Từng ngày",
    day: "Ngày",
    marketplace: "Sàn",
    total: "Tổng",
    not_counted: "Không tính máy tìm kiếm và bản xem trước liên kết (Zalo, Facebook); không lưu thông tin gì về người xem.",
    back: "Về danh sách sản phẩm",
    report: "Báo cáo theo xã",
    report_intro: "Số liệu của từng xã theo tháng: hợp tác xã, thành viên, sản phẩm và lượt quan tâm của người mua.",
    from_month: "Từ tháng",
    to_month: "Đến tháng",
    show: "Xem báo cáo",
    download_csv: "Tải CSV",
    download_xlsx: "Tải Excel (XLSX)",
    month: "Tháng",
    cooperatives: "Hợp tác xã",
    active_members: "Thành viên hoạt động",
    listings: "Sản phẩm đang đăng",
    with_photos: "Có ảnh",
    ocop: "OCOP",
    page_views: "Lượt xem trang",
    marketplace_clicks: "Lượt bấm sang sàn",
    how_counted: "Cách tính",
    definitions: [
        "Hợp tác xã: đã đăng ký tại xã tính đến cuối tháng. Hợp tác xã, thành viên và sản phẩm được tính vào xã nơi hợp tác xã đăng ký.",
        "Thành viên hoạt động: tài khoản thành viên đã đăng nhập (mở phiên hoặc tạo mã API) hoặc dùng mã API trong tháng.",
        "Sản phẩm đang đăng: sản phẩm, trải nghiệm và lễ hội hiển thị cho người mua vào cuối tháng (tháng hiện tại: lúc này).",
        "Có ảnh: trong số đó, sản phẩm có ít nhất một ảnh công khai.",
        "OCOP: trong số đó, sản phẩm có hạng sao OCOP.",
        "Lượt xem trang: lượt người mua mở trang sản phẩm trong tháng (không tính máy tìm kiếm, bản xem trước liên kết).",
        "Lượt bấm sang sàn: lượt người mua bấm nút mua trên sàn (Shopee, Lazada, …) trong tháng. Tháng tính theo giờ Việt Nam.",
    ],
    no_communes: "Chưa có hợp tác xã nào.",
    bad_range: "Khoảng tháng không hợp lệ (tối đa 36 tháng, từ tháng không sau đến tháng); đang hiện 12 tháng gần nhất.",
};

pub static STATS_EN: StatsTexts = StatsTexts {
    title: "Statistics",
    see: "See statistics",
    views: "views",
    clicks: "marketplace clicks",
    period: "Period",
    days_30: "30 days",
    days_90: "90 days",
    last_days: "days",
    per_marketplace: "Clicks per marketplace",
    per_day: "Day by day",
    day: "Day",
    marketplace: "Marketplace",
    total: "Total",
    not_counted: "Search engines and link previews (Zalo, Facebook) are not counted; nothing about viewers is stored.",
    back: "Back to my listings",
    report: "Commune report",
    report_intro: "Each commune's figures per month: cooperatives, members, listings and shoppers' interest.",
    from_month: "From month",
    to_month: "To month",
    show: "Show report",
    download_csv: "Download CSV",
    download_xlsx: "Download Excel (XLSX)",
    month: "Month",
    cooperatives: "Cooperatives",
    active_members: "Active members",
    listings: "Listings published",
    with_photos: "With photos",
    ocop: "OCOP",
    page_views: "Page views",
    marketplace_clicks: "Marketplace clicks",
    how_counted: "How it is counted",
    definitions: [
        "Cooperatives: registered in the commune by the end of the month. Cooperatives, members and listings count in the commune the cooperative is registered in.",
        "Active members: member accounts that signed in (opened a session or an API token) or used an API token during the month.",
        "Listings published: products, experiences and festivals shown to shoppers at the end of the month (this month: now).",
        "With photos: of those, listings with at least one public photo.",
        "OCOP: of those, listings with OCOP stars.",
        "Page views: shoppers opening a listing page during the month (search engines and link previews are not counted).",
        "Marketplace clicks: shoppers tapping a marketplace button (Shopee, Lazada, …) during the month. Months are Vietnam time.",
    ],
    no_communes: "No cooperatives yet.",
    bad_range: "That range of months is not valid (at most 36 months, the first not after the last); showing the last 12 months.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketplace_buttons_read_naturally() {
        assert_eq!(Lang::Vi.buy_on(Platform::Shopee), "Mua trên Shopee");
        assert_eq!(
            Lang::Vi.buy_on(Platform::TiktokShop),
            "Mua trên TikTok Shop"
        );
        assert_eq!(Lang::Vi.buy_on(Platform::Zalo), "Nhắn Zalo");
        assert_eq!(Lang::Vi.buy_on(Platform::Facebook), "Xem trên Facebook");
        assert_eq!(Lang::Vi.buy_on(Platform::Website), "Xem trang web");
        assert_eq!(Lang::En.buy_on(Platform::Lazada), "Buy on Lazada");
    }

    #[test]
    fn domain_messages_are_translated() {
        assert_eq!(
            Lang::Vi.field_message(&Message::MaxChars(150)),
            "Tối đa 150 ký tự."
        );
        assert_eq!(
            Lang::Vi.field_message(&Message::UrlWrongPlatform),
            "Đường dẫn này không thuộc sàn đã chọn."
        );
        assert_eq!(
            Lang::En.field_message(&Message::NotEmpty),
            "Must not be empty."
        );
    }
}
