"""Every citizen-facing sentence the core says on its own (content aside).

One place for the voice of ``content-style.md``: the form of address is "bạn".
Button labels stay short (about 24 characters) and read well as a numbered list.
"""

from __future__ import annotations

from bot.core.types import Button

__all__ = [
    "ALSO_ASKED",
    "BACK",
    "BOT_COMMANDS",
    "CLARIFY",
    "COMMANDS",
    "DELETE_DONE",
    "DELETE_MINE",
    "EMPTY",
    "EXIT_DONE",
    "EXIT_FLOW",
    "FACET_MISSING",
    "FALLBACK",
    "FEEDBACK_NO",
    "FEEDBACK_NO_THANKS",
    "FEEDBACK_YES",
    "FEEDBACK_YES_THANKS",
    "GREETINGS",
    "GUIDE_DONE_NO",
    "GUIDE_DONE_QUESTION",
    "GUIDE_DONE_THANKS",
    "GUIDE_DONE_YES",
    "GUIDE_NOT_DONE",
    "HANDOFF",
    "HANDOFF_BUTTON",
    "HANDOFF_SOURCE",
    "MAIN_MENU",
    "MAIN_MENU_BUTTON",
    "MEDIA",
    "MENU_TEXT",
    "NUMBER_HINT",
    "OFFTOPIC_DEFAULT",
    "OUT_OF_SCOPE",
    "PII_WARNING",
    "PRIVACY",
    "PRIVACY_BUTTON",
    "PRIVACY_LINE",
    "RESTART",
    "RESUME_BUTTON",
    "RESUME_OFFER",
    "SOURCE_LINE",
    "TEAM_ALREADY_MEMBER",
    "TEAM_BAD_CODE",
    "TEAM_HELPED",
    "TEAM_HELPED_ASK",
    "TEAM_HELPED_BAD_COUNT",
    "TEAM_HELP_KINDS",
    "TEAM_JOINED",
    "TEAM_JOIN_USAGE",
    "TEAM_LEAFLET_CAPTION",
    "TEAM_NOT_MEMBER",
    "TEAM_SHARE_FAQ",
    "TEAM_SHARE_GUIDES",
    "TEAM_SHARE_HEAD",
    "TEAM_SHARE_LEAFLET",
    "TEAM_SHARE_MENU",
    "TEAM_SHARE_MORE",
    "TEAM_SHARE_SERVICES",
    "TEAM_SHARE_STEPS",
    "TEAM_SHARE_TELEGRAM",
    "TEAM_SHARE_UNKNOWN",
    "TEAM_SHARE_WEB",
    "TEAM_STATS",
    "TEAM_STATS_DONE",
    "TEAM_STATS_LEAD_HEAD",
    "TEAM_STATS_LEAD_LINE",
    "TEAM_STATS_LEAD_MORE",
    "TEAM_STATS_RANK",
    "TEAM_TOO_MANY_TRIES",
    "THANKS",
    "THANKS_WORDS",
    "TRUNCATED",
    "UNKNOWN_CONTENT",
    "WELCOME",
]

# --- Buttons that appear everywhere -----------------------------------------------------------
MAIN_MENU_BUTTON = Button("Về menu chính", "menu")
HANDOFF_BUTTON = Button("Gặp người hỗ trợ", "c-handoff")
PRIVACY_BUTTON = Button("Quyền riêng tư", "c-privacy")
BACK = Button("Quay lại", "c-back")
RESTART = Button("Làm lại từ đầu", "c-restart")
EXIT_FLOW = Button("Thoát hướng dẫn", "c-exit")
RESUME_BUTTON = Button("Tiếp tục hướng dẫn", "c-resume")
FEEDBACK_YES = "Đúng ý tôi"
FEEDBACK_NO = "Chưa đúng"
DELETE_MINE = Button("Xóa dữ liệu của tôi", "c-delete")

MAIN_MENU: tuple[Button, ...] = (
    Button("Cài ứng dụng VNeID", "f-install"),
    Button("Đăng ký mức 1", "f-l1"),
    Button("Làm định danh mức 2", "f-l2"),
    Button("Kích hoạt tài khoản", "f-activate"),
    Button("Gỡ lỗi thường gặp", "f-fix"),
    Button("Dịch vụ công", "cat"),
    Button("Kiểm tra lừa đảo", "f-scam"),
    HANDOFF_BUTTON,
)

# --- Messages ---------------------------------------------------------------------------------
WELCOME = (
    "Xin chào! Tôi là Trợ lý 06. Tôi giúp bạn cài ứng dụng VNeID, đăng ký và kích hoạt "
    "tài khoản định danh điện tử, và làm các dịch vụ công trực tuyến.\n"
    "Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được, hoặc chọn một mục bên dưới.\n"
    "⚠️ Tôi không bao giờ hỏi mã OTP, passcode, mật khẩu hay số căn cước của bạn."
)
PRIVACY_LINE = (
    "Quyền riêng tư: tôi lưu câu hỏi của bạn (đã che số giấy tờ, số điện thoại, mã số) "
    "để trả lời và cải thiện câu trả lời."
)
PRIVACY = (
    "Tôi lưu những gì bạn hỏi và trạng thái hướng dẫn đang làm dở, để trả lời tiếp và để cán bộ "
    "bổ sung câu trả lời còn thiếu. Số căn cước, số điện thoại và mã số bạn gõ được che trước khi lưu.\n"
    "Tôi không hỏi và không lưu mã OTP, passcode, mật khẩu.\n"
    "Muốn xóa, bấm «Xóa dữ liệu của tôi» hoặc gõ «xóa dữ liệu của tôi». Chỉ còn lại số đếm ẩn danh."
)
DELETE_DONE = (
    "✅ Tôi đã xóa các tin nhắn và trạng thái trò chuyện của bạn. Chỉ còn số đếm ẩn danh, "
    "không gắn với bạn. Bạn có thể hỏi lại bất cứ lúc nào."
)
MENU_TEXT = "Bạn cần giúp việc gì? Chọn một mục bên dưới hoặc gõ câu hỏi."
#: Said before the menu text when a citizen leaves a guide.
EXIT_DONE = "Bạn đã thoát hướng dẫn."
#: Said before the menu text for a button or link whose content is gone.
UNKNOWN_CONTENT = "Xin lỗi, nội dung này không còn hoặc đường dẫn bị sai."
FALLBACK = (
    "Xin lỗi, tôi chưa hiểu câu hỏi này. Bạn thử hỏi ngắn hơn, ví dụ «quên mật khẩu VNeID» "
    "hay «làm định danh mức 2 ở đâu», hoặc chọn một chủ đề bên dưới.\n"
    "Tôi đã ghi lại câu hỏi để cán bộ bổ sung câu trả lời."
)
#: A long question that matched nothing well and is not clearly outside the bot's work: it may be
#: ours asked in many words, or another matter; never only «ask shorter» to someone who wrote a story.
FALLBACK_LONG = (
    "Xin lỗi, tôi chưa tìm được câu trả lời cho câu hỏi này.\n"
    "• Nếu bạn hỏi về ứng dụng VNeID, định danh điện tử hay một dịch vụ công (căn cước, cư trú, khai "
    "sinh, khai tử, hộ chiếu…): bạn gõ riêng điều cần hỏi trong một câu ngắn, ví dụ «đăng ký tạm trú "
    "cho người thân ở đâu», hoặc chọn một chủ đề bên dưới.\n"
    "• Nếu là tranh chấp, đất đai, thừa kế, hôn nhân, lao động hay sức khỏe: tôi không tư vấn được; "
    "bạn có thể hỏi luật sư, Trung tâm trợ giúp pháp lý nhà nước của tỉnh, hoặc bác sĩ.\n"
    "Tôi đã ghi lại câu hỏi để cán bộ xem và bổ sung; bạn cũng có thể bấm «Gặp người hỗ trợ»."
)
EMPTY = "Bạn chưa gõ gì. Bạn cần giúp việc gì? Chọn một mục bên dưới hoặc gõ câu hỏi."
OFFTOPIC_DEFAULT = (
    "Xin lỗi, việc này nằm ngoài phạm vi của tôi. Tôi chỉ giúp về ứng dụng VNeID, "
    "tài khoản định danh điện tử và dịch vụ công trực tuyến."
)
#: A long question that is clearly about something else (a dispute, an inheritance, an illness):
#: said as outside the bot's scope, with who can help instead (not "try a shorter question").
OUT_OF_SCOPE = (
    "Câu hỏi này nằm ngoài những việc tôi giúp được. Tôi hướng dẫn ứng dụng VNeID, tài khoản định danh "
    "điện tử và các dịch vụ công trực tuyến (căn cước, cư trú, khai sinh, khai tử, hộ chiếu, lý lịch tư "
    "pháp…); tôi không tư vấn về tranh chấp, đất đai, thừa kế, hôn nhân, lao động hay sức khỏe.\n"
    "Cần tư vấn pháp luật, bạn có thể hỏi luật sư hoặc Trung tâm trợ giúp pháp lý nhà nước của tỉnh "
    "(thuộc Sở Tư pháp; miễn phí cho người thuộc diện được trợ giúp). Về sức khỏe, bạn hỏi bác sĩ "
    "hoặc cơ sở y tế.\n"
    "Nếu tôi hiểu chưa đúng, bạn chọn một chủ đề bên dưới hoặc gặp người hỗ trợ."
)
#: A service is clearly asked about but the facet asked (fee, time…) is not in the content.
FACET_MISSING = (
    "Tôi chưa có thông tin đã kiểm chứng về {facet} của thủ tục «{service}». Dưới đây là phần tôi có; "
    "chi tiết bạn xem trang thủ tục trên Cổng Dịch vụ công quốc gia hoặc gặp người hỗ trợ."
)
#: Under a numbered list of options, on channels without buttons.
NUMBER_HINT = "Gõ số để chọn (ví dụ: 1), hoặc gõ câu hỏi khác."
CLARIFY = "Bạn muốn hỏi về nội dung nào dưới đây?"
#: Under the answer to a long question about two objects: the FAQ item on the other one.
ALSO_ASKED = "Bạn hỏi thêm về «{title}»:\n{answer}\n\n{source}"
UNSURE_PREVIEW = (
    "Tôi chưa chắc đã hiểu đúng câu hỏi của bạn. Có thể bạn cần thông tin dưới đây; "
    "nếu chưa đúng, bạn chọn mục khác hoặc bấm «Gặp người hỗ trợ»."
)
MEDIA = (
    "Xin lỗi, tôi chưa xem được hình ảnh, âm thanh, tệp hay nhãn dán. "
    "Bạn gõ câu hỏi bằng chữ giúp tôi nhé."
)
TRUNCATED = "Tin nhắn dài quá nên tôi chỉ đọc phần đầu. Bạn hỏi ngắn gọn từng ý giúp tôi nhé."
PII_WARNING = (
    "⚠️ Tôi đã che số giấy tờ, số điện thoại hoặc mã số trong tin nhắn của bạn. "
    "Đừng gửi mã OTP, passcode hay mật khẩu cho bất kỳ ai, kể cả người xưng là công an."
)
FEEDBACK_YES_THANKS = "✅ Cảm ơn bạn! Bạn cần hỏi thêm gì cứ gõ nhé."
FEEDBACK_NO_THANKS = (
    "Cảm ơn bạn đã báo. Tôi đã ghi lại để cán bộ xem và sửa câu trả lời. "
    "Bạn thử hỏi lại bằng cách khác, hoặc gặp người hỗ trợ."
)
THANKS = "Không có gì ạ. Bạn cần hỏi thêm gì cứ gõ nhé."
RESUME_OFFER = "Lần trước bạn đang làm dở «{title}» (bước {n}/{total}). Bấm «Tiếp tục hướng dẫn» để làm tiếp."
SOURCE_LINE = "Nguồn: {source} · cập nhật {reviewed}"
HANDOFF = (
    "Để được người thật hỗ trợ, bạn có thể:\n"
    "1. Đến Công an cấp xã nơi bạn ở: làm định danh mức 2, đổi số điện thoại, khóa tài khoản.\n"
    "2. Gọi tổng đài 1900 0368 của Bộ Công an về căn cước, định danh điện tử (có tính cước).\n"
    "3. Gọi 1800 1096, tổng đài hỗ trợ Cổng Dịch vụ công quốc gia.\n"
    "4. Nhờ Tổ công nghệ số cộng đồng ở thôn, tổ dân phố của bạn.\n"
    "Tôi đã ghi lại yêu cầu của bạn."
)
HANDOFF_SOURCE = "Bộ Công an (tổng đài 1900 0368); Cổng Dịch vụ công quốc gia (1800 1096)"

#: Commands shown in chat apps' command menus (Telegram setMyCommands): name, description.
BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Bắt đầu, giới thiệu Trợ lý 06"),
    ("menu", "Menu chính"),
    ("help", "Hướng dẫn sử dụng"),
    ("huy", "Thoát hướng dẫn đang làm"),
)

#: Typed commands, matched on folded text (no diacritics, lowercase, single spaces).
COMMANDS: dict[str, str] = {
    "/start": "start",
    "start": "start",
    "bat dau": "start",
    "/menu": "menu",
    "menu": "menu",
    "menu chinh": "menu",
    "ve menu": "menu",
    "ve menu chinh": "menu",
    "trang chu": "menu",
    "/help": "help",
    "help": "help",
    "tro giup": "help",
    "huong dan su dung": "help",
    "/huy": "exit",
    "huy": "exit",
    "thoat": "exit",
    "thoat huong dan": "exit",
    "dung lai": "exit",
    "quay lai": "back",
    "tro lai": "back",
    "lui lai": "back",
    "back": "back",
    "lam lai": "restart",
    "lam lai tu dau": "restart",
    "bat dau lai": "restart",
    "tiep tuc": "resume",
    "tiep tuc huong dan": "resume",
    "lam tiep": "resume",
    "gap can bo": "handoff",
    "gap nguoi ho tro": "handoff",
    "gap nguoi that": "handoff",
    "noi chuyen voi nguoi": "handoff",
    "gap cong an": "handoff",
    "can nguoi ho tro": "handoff",
    "xoa du lieu cua toi": "delete",
    "xoa du lieu": "delete",
    "xoa thong tin cua toi": "delete",
    "quyen rieng tu": "privacy",
}

#: Phrases (folded) by which a short message asks for a person, wherever they stand in it («cho tôi
#: nói chuyện với người thật», «mình muốn gặp nhân viên tư vấn ạ»): the hand-off, like its commands.
HANDOFF_PHRASES: tuple[str, ...] = (
    "nguoi that", "noi chuyen voi nguoi", "noi chuyen vs nguoi", "gap nhan vien", "noi chuyen voi nhan vien",
    "nhan vien tu van", "tu van vien", "gap nguoi ho tro", "can nguoi ho tro", "ket noi nhan vien",
    "chuyen sang nhan vien", "gap tong dai vien",
)
#: Longest message (in words) read as a request for a person by :data:`HANDOFF_PHRASES`; a longer
#: one is a question that may only mention staff («… có phải gặp nhân viên không»).
HANDOFF_MAX_WORDS = 10

#: Short greetings and thanks (folded), answered with the welcome or a thank-you.
GREETINGS: frozenset[str] = frozenset(
    {
        "xin chao", "chao", "chao ban", "chao em", "chao ad", "chao admin", "hello", "hi", "helo",
        "alo", "a lo", "hey", "chao buoi sang", "chao buoi toi", "xin chao tro ly", "chao tro ly",
        "chao bot", "hi bot", "hello bot",
    }
)
THANKS_WORDS: frozenset[str] = frozenset(
    {"cam on", "cam on ban", "cam on nhieu", "thank", "thanks", "thank you", "ok cam on", "tks", "camon"}
)

# --- Guides: "did you finish?" (a self-reported completion) ------------------------------------
GUIDE_DONE_QUESTION = "Bạn đã làm xong chưa?"
GUIDE_DONE_YES = "Đã làm xong"
GUIDE_DONE_NO = "Chưa xong"
GUIDE_DONE_THANKS = "🎉 Chúc mừng bạn đã làm xong! Bạn cần làm thêm việc gì, cứ chọn bên dưới hoặc gõ câu hỏi."
GUIDE_NOT_DONE = (
    "Không sao. Bạn có thể làm lại từ đầu, hoặc nhờ người hỗ trợ: Tổ công nghệ số cộng đồng, "
    "Công an cấp xã, tổng đài 1900 0368."
)

# --- Community digital-technology team members (the shell answers these commands) ----------------
TEAM_JOIN_USAGE = "Để tham gia tổ, bạn gõ «/thamgia MÃ» với mã mời do quản trị viên gửi, ví dụ: /thamgia K7QM2XWP9A"
TEAM_JOINED = (
    "✅ Chào mừng {name} tham gia «{team}»!\n"
    "• Gõ /chiase để lấy liên kết và mã QR của các hướng dẫn, gửi cho người dân.\n"
    "• Gõ /dagiup khi bạn giúp trực tiếp một người (ví dụ: /dagiup muc2).\n"
    "• Gõ /thongke để xem kết quả so với chỉ tiêu {target} người."
)
TEAM_ALREADY_MEMBER = "Tài khoản trò chuyện này đã là thành viên «{team}» với tên {name}. Gõ /chiase hoặc /thongke."
TEAM_BAD_CODE = (
    "Xin lỗi, mã mời này không đúng, đã hết hạn hoặc đã dùng hết lượt. "
    "Bạn kiểm tra lại mã, hoặc xin quản trị viên mã mới."
)
TEAM_TOO_MANY_TRIES = "Bạn đã thử mã quá nhiều lần. Bạn vui lòng thử lại sau {minutes} phút."
TEAM_NOT_MEMBER = (
    "Lệnh này dành cho thành viên Tổ công nghệ số cộng đồng. "
    "Nếu bạn là thành viên, gõ «/thamgia MÃ» với mã mời do quản trị viên gửi."
)
TEAM_SHARE_HEAD = (
    "Liên kết của {name}: ai mở liên kết của bạn lần đầu sẽ được tính là người bạn đã tiếp cận.\n"
    "Gửi liên kết qua tin nhắn, hoặc in tờ rơi có mã QR."
)
TEAM_SHARE_WEB = "Web: {url}"
TEAM_SHARE_TELEGRAM = "Telegram: {url}"
TEAM_SHARE_GUIDES = "Các hướng dẫn:"
TEAM_SHARE_MENU = "Trang chính của Trợ lý 06:"
TEAM_SHARE_FAQ = "Các câu trả lời thường gặp:"
TEAM_SHARE_SERVICES = "Các dịch vụ công:"
TEAM_SHARE_STEPS = "Từng bước của «{title}»:"
TEAM_SHARE_LEAFLET = "Tờ rơi in (PDF) «{title}»: khổ A4 {a4} · khổ A5 (2 tờ trên một trang A4) {a5}"
TEAM_SHARE_MORE = (
    "Gõ «/chiase SỐ» (ví dụ /chiase 1) để lấy liên kết từng bước và tờ rơi in của một hướng dẫn; "
    "«/chiase hoidap» cho các câu trả lời; «/chiase dichvu» cho các dịch vụ công."
)
TEAM_SHARE_UNKNOWN = "Tôi không tìm thấy hướng dẫn «{topic}». " + "Gõ /chiase để xem danh sách."
TEAM_LEAFLET_CAPTION = "Tờ rơi «{title}» có mã QR của bạn, khổ A4."
TEAM_STATS = (
    "📊 Kết quả của {name} («{team}»):\n"
    "• Người dân đã tiếp cận qua liên kết của bạn: {reached}\n"
    "• Lượt hoàn thành hướng dẫn: {completed}\n"
    "• Lượt giúp trực tiếp: {in_person}\n"
    "• Tiến độ: {helped}/{target} người được giúp{done}"
)
TEAM_STATS_DONE = " ✅ Đã đạt chỉ tiêu!"
TEAM_STATS_RANK = "Tổ của bạn đứng thứ {rank}/{teams} trong «{commune}»."
TEAM_STATS_LEAD_HEAD = "Bạn là tổ trưởng. Kết quả từng thành viên của «{team}» ({count} người):"
TEAM_STATS_LEAD_LINE = "• {name}: tiếp cận {reached} · hoàn thành {completed} · trực tiếp {in_person} · đã giúp {helped}/{target}{done}"
TEAM_STATS_LEAD_MORE = "… và {count} thành viên nữa: xem đủ ở trang «Thống kê tổ» của bảng điều khiển."
TEAM_HELPED_ASK = "Bạn đã giúp trực tiếp việc gì? Chọn một mục, hoặc gõ ví dụ «/dagiup muc2 3» (giúp 3 người làm mức 2)."
TEAM_HELPED = "✅ Đã ghi {count} lượt giúp trực tiếp: {kind}. Cảm ơn bạn! Tổng lượt giúp trực tiếp: {total}."
TEAM_HELPED_BAD_COUNT = "Số người phải từ 1 đến {max}. Ví dụ: /dagiup muc2 3"
#: Names of the kinds of in-person help.
TEAM_HELP_KINDS: dict[str, str] = {
    "install": "Cài VNeID",
    "level1": "Đăng ký mức 1",
    "level2": "Định danh mức 2",
    "service": "Dịch vụ công",
}

# -- hand-off to a person (editable: content kind ``text``, ids ``handoff_*``) -----------------------
HANDOFF_OPENED = "Tôi đã chuyển cuộc trò chuyện cho cán bộ {unit}. {when} Trong lúc chờ, bạn vẫn có thể hỏi trợ lý."
HANDOFF_OPENED_AUTO = (
    "Có vẻ trợ lý chưa giúp được bạn, nên tôi đã chuyển cuộc trò chuyện cho cán bộ {unit}. {when} "
    "Trong lúc chờ, bạn vẫn có thể hỏi trợ lý."
)
HANDOFF_WHEN_OPEN = "Cán bộ sẽ trả lời bạn ngay tại đây, thường trong khoảng {minutes} phút."
HANDOFF_WHEN_LATER = "Bây giờ là ngoài giờ làm việc; cán bộ sẽ trả lời bạn tại đây lúc {at}."
HANDOFF_WHEN_UNKNOWN = "Bây giờ là ngoài giờ làm việc; cán bộ sẽ trả lời bạn tại đây khi làm việc trở lại."
HANDOFF_WAITING = "Yêu cầu gặp cán bộ của bạn đã được ghi nhận; cán bộ sẽ trả lời bạn tại đây."
HANDOFF_HELD = "Cán bộ đang hỗ trợ bạn tại đây; bạn cứ nhắn, cán bộ sẽ đọc."
HANDOFF_CLAIMED = (
    "Cán bộ {unit} đã nhận cuộc trò chuyện và sẽ trả lời bạn ngay tại đây. Trong lúc này trợ lý tự động tạm dừng."
)
HANDOFF_ESCALATED = "Chưa có cán bộ {unit} nhận kịp yêu cầu của bạn, nên tôi đã chuyển lên cán bộ {queue}. {when}"
HANDOFF_CLOSED = "Cán bộ đã kết thúc cuộc trò chuyện."
HANDOFF_RESUMED = (
    "Trợ lý tự động tiếp tục trả lời bạn; bấm «Gặp người hỗ trợ» nếu bạn cần người hỗ trợ lần nữa."
)
HANDOFF_STAFF_LABEL = "👤 Cán bộ hỗ trợ:"
