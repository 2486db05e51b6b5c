"""Every citizen-facing sentence the core says on its own (content aside).

One place for the voice of ``content-style.md``: the form of address is "bạn".
Button labels stay short (about 24 characters) and read well as a numbered list.
"""

from __future__ import annotations

from bot.core.types import Button

__all__ = [
    "BACK",
    "BOT_COMMANDS",
    "CLARIFY",
    "COMMANDS",
    "DELETE_DONE",
    "DELETE_MINE",
    "EMPTY",
    "EXIT_DONE",
    "EXIT_FLOW",
    "FALLBACK",
    "FEEDBACK_NO",
    "FEEDBACK_NO_THANKS",
    "FEEDBACK_YES",
    "FEEDBACK_YES_THANKS",
    "GREETINGS",
    "HANDOFF",
    "HANDOFF_BUTTON",
    "HANDOFF_SOURCE",
    "MAIN_MENU",
    "MAIN_MENU_BUTTON",
    "MEDIA",
    "MENU_TEXT",
    "NUMBER_HINT",
    "OFFTOPIC_DEFAULT",
    "PII_WARNING",
    "PRIVACY",
    "PRIVACY_BUTTON",
    "PRIVACY_LINE",
    "RESTART",
    "RESUME_BUTTON",
    "RESUME_OFFER",
    "SOURCE_LINE",
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
EMPTY = "Bạn chưa gõ gì. Bạn cần giúp việc gì? Chọn một mục bên dưới hoặc gõ câu hỏi."
OFFTOPIC_DEFAULT = (
    "Xin lỗi, việc này nằm ngoài phạm vi của tôi. Tôi chỉ giúp về ứng dụng VNeID, "
    "tài khoản định danh điện tử và dịch vụ công trực tuyến."
)
#: Under a numbered list of options, on channels without buttons.
NUMBER_HINT = "Gõ số để chọn (ví dụ: 1), hoặc gõ câu hỏi khác."
CLARIFY = "Bạn muốn hỏi về nội dung nào dưới đây?"
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
