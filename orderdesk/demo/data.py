"""The demo company's world: a Ukrainian wholesale distributor of building materials and
hardware with warehouses in Kyiv and Lviv. Names, places and goods are fictional but typical;
e-mail domains use the reserved `.example` top-level domain so nothing is ever sent anywhere.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

PASSWORD = "demo12345"  # demo only; printed by the command and listed in the README

# username, first name, last name, role, what to try (printed with the logins)
USERS = [
    ("manager1", "Олена", "Коваль", "sales_manager", "orders of own customers, templates"),
    ("manager2", "Андрій", "Мельничук", "sales_manager", "orders of own customers"),
    ("head", "Ігор", "Бондаренко", "sales_head", "approvals inbox, the team's orders"),
    ("credit", "Наталія", "Ткаченко", "credit_controller", "credit holds, limits, approvals"),
    ("warehouse", "Василь", "Кравчук", "warehouse", "warehouse queue, shipments, stock"),
    ("accountant", "Оксана", "Шевчук", "accountant", "payments, statements, aging"),
    ("admin", "Дмитро", "Савченко", "administrator", "rules, master data, /admin/"),
]
TEAM = ("Відділ оптових продажів", "head", ["manager1", "manager2"])

CUSTOMER_GROUPS = [
    ("wholesale", "Оптові"),
    ("retail", "Роздрібні мережі"),
    ("construction", "Будівельні компанії"),
]

WAREHOUSES = [
    ("KYIV", "Склад Київ", "07400, Київська обл., м. Бровари, вул. Металургів, 12"),
    ("LVIV", "Склад Львів", "79035, м. Львів, вул. Зелена, 301"),
]

PRICE_LISTS = [
    # code, name, currency, prices include VAT, customer groups
    ("WHOLESALE", "Оптовий", "UAH", False, ["wholesale", "retail", "construction"]),
    ("RETAIL", "Роздрібний", "UAH", True, []),
    ("EXPORT_EUR", "Export EUR", "EUR", False, []),
]

# Rates around the start of the 400-day window and today (UAH for one unit), NBU-like.
RATES = {
    "USD": (Decimal("41.3000"), Decimal("42.3500")),
    "EUR": (Decimal("48.0500"), Decimal("49.1200")),
    "PLN": (Decimal("11.3000"), Decimal("11.6400")),
}
RATE_DAILY_SD = {"USD": 0.0015, "EUR": 0.0028, "PLN": 0.0028}

# --- catalogue ------------------------------------------------------------------------------

# code, name, parent, SKU prefix, wholesale markup range
PRODUCT_GROUPS = [
    ("BM", "Будівельні матеріали", None, None, None),
    ("BM-SUM", "Сухі будівельні суміші", "BM", "SUM", (1.22, 1.30)),
    ("BM-CEM", "Цемент, пісок, щебінь", "BM", "CEM", (1.12, 1.18)),
    ("BM-GKL", "Гіпсокартон і профілі", "BM", "GKL", (1.18, 1.26)),
    ("BM-IZO", "Теплоізоляція", "BM", "IZO", (1.20, 1.28)),
    ("BM-POK", "Покрівля і гідроізоляція", "BM", "POK", (1.18, 1.25)),
    ("BM-MET", "Металопрокат", "BM", "MET", (1.10, 1.15)),
    ("FRB", "Лакофарбові матеріали", None, "FRB", (1.22, 1.32)),
    ("KRP", "Кріплення і метизи", None, "KRP", (1.35, 1.60)),
    ("INS", "Інструмент", None, None, None),
    ("INS-RUC", "Ручний інструмент", "INS", "RUC", (1.30, 1.50)),
    ("INS-OSN", "Оснащення для електроінструменту", "INS", "OSN", (1.35, 1.55)),
    ("ING", "Інженерні системи", None, None, None),
    ("ING-SAN", "Сантехніка і труби", "ING", "SAN", (1.25, 1.40)),
    ("ING-EL", "Електротовари", "ING", "ELT", (1.25, 1.40)),
    ("ZIZ", "Засоби захисту і аптечки", None, "ZIZ", (1.25, 1.40)),
    ("SRV", "Послуги і зворотна тара", None, "SRV", (1.10, 1.15)),
]


class Family(NamedTuple):
    """Products that share a name pattern: one product per variant (label, cost price UAH)."""

    group: str
    name: str
    unit: str
    variants: list[tuple[str | None, float]]
    vat: int = 20


def one(group: str, name: str, unit: str, cost: float, vat: int = 20) -> Family:
    return Family(group, name, unit, [(None, cost)], vat)


FAMILIES: list[Family] = [
    # сухі суміші (мішки рахуємо штуками)
    Family("BM-SUM", "Клей для плитки {} 25 кг", "шт", [("Ceresit CM 11", 265), ("Ceresit CM 17", 520), ("Ceresit CM 117 еластичний", 610), ("Kreisel 101", 215), ("Polimin П-11", 198), ("Siltek T-80", 190)]),
    Family("BM-SUM", "Штукатурка гіпсова {} 30 кг", "шт", [("Knauf Rotband", 395), ("Knauf MP-75 машинна", 345), ("Siltek Gips", 285), ("Śnieżka Gips", 300)]),
    Family("BM-SUM", "Штукатурка цементна {} 25 кг", "шт", [("Ceresit CT 24", 270), ("Kreisel 501", 225)]),
    Family("BM-SUM", "Шпаклівка {} 25 кг", "шт", [("Knauf HP Finish", 330), ("Knauf Fugenfüller", 360), ("Siltek Finish", 265)]),
    Family("BM-SUM", "Стяжка для підлоги {} 25 кг", "шт", [("Ceresit CN 87 самовирівнювальна", 420), ("Kreisel 410", 210), ("Polimin ПП-10", 185)]),
    Family("BM-SUM", "Ґрунтовка глибокого проникнення {} 10 л", "шт", [("Ceresit CT 17", 560), ("Kreisel 301", 380), ("Śnieżka Grunt", 420)]),
    Family("BM-SUM", "Фуга {} 2 кг", "шт", [("Ceresit CE 33 біла", 145), ("Ceresit CE 33 сіра", 145), ("Ceresit CE 40 антрацит", 210)]),
    Family("BM-SUM", "Клей для пінопласту і мінвати {} 25 кг", "шт", [("Ceresit CT 85", 355), ("Kreisel 220", 265)]),
    # цемент, пісок, щебінь
    Family("BM-CEM", "Цемент {} 25 кг", "шт", [("ПЦ II/А-Ш-500", 175), ("ПЦ II/Б-Ш-400", 150)]),
    one("BM-CEM", "Цемент ПЦ I-500 (насипом)", "кг", 4.2),
    one("BM-CEM", "Пісок річковий митий (насипом)", "кг", 0.55),
    one("BM-CEM", "Пісок кварцовий фр. 0,1–0,6 мм 25 кг", "шт", 140),
    Family("BM-CEM", "Щебінь гранітний фр. {} мм (насипом)", "кг", [("5–20", 0.95), ("20–40", 0.85)]),
    one("BM-CEM", "Вапно гашене 10 кг", "шт", 95),
    Family("BM-CEM", "Алебастр Г-5 {} кг", "шт", [("5", 60), ("10", 105)]),
    one("BM-CEM", "Суміш цементно-піщана М150 40 кг", "шт", 130),
    one("BM-CEM", "Бетонна суміш М300 40 кг", "шт", 155),
    # гіпсокартон і профілі
    Family("BM-GKL", "Гіпсокартон стіновий {} 12,5×1200×2500 мм", "шт", [("Knauf", 340), ("Siniat", 315)]),
    Family("BM-GKL", "Гіпсокартон вологостійкий {} 12,5×1200×2500 мм", "шт", [("Knauf", 430), ("Siniat", 405)]),
    one("BM-GKL", "Гіпсокартон стельовий Knauf 9,5×1200×2500 мм", "шт", 320),
    one("BM-GKL", "Гіпсокартон вогностійкий Knauf 12,5×1200×2500 мм", "шт", 480),
    Family("BM-GKL", "Профіль {} 0,6 мм, 3 м", "шт", [("CD-60", 95), ("UD-27", 62), ("CW-50", 105), ("CW-75", 125), ("CW-100", 150), ("UW-50", 88), ("UW-75", 102), ("UW-100", 121)]),
    one("BM-GKL", "Профіль CD-60 0,6 мм, 4 м", "шт", 126),
    one("BM-GKL", "Підвіс прямий для CD-60 (уп. 100 шт)", "уп", 265),
    one("BM-GKL", "З'єднувач одноярусний «краб» CD-60 (уп. 50 шт)", "уп", 290),
    Family("BM-GKL", "Стрічка-серп'янка {} мм × 90 м", "шт", [("45", 75), ("50", 82)]),
    one("BM-GKL", "Кутник перфорований алюмінієвий 2,5 м", "шт", 21),
    one("BM-GKL", "Стрічка демпферна 50 мм × 30 м", "шт", 68),
    # теплоізоляція
    Family("BM-IZO", "Мінеральна вата {}", "уп", [("Rockwool Rockmin 50 мм, 6,1 м²", 590), ("Rockwool Rockmin 100 мм, 3,05 м²", 590), ("Knauf Insulation TS 037 50 мм, 12,5 м²", 860), ("Knauf Insulation TS 037 100 мм, 6,25 м²", 860), ("Isover Classic 50 мм, 14 м²", 910), ("фасадна Rockwool Frontrock Max E 100 мм, 1,2 м²", 590)]),
    Family("BM-IZO", "Пінопласт ПСБ-С-25 {} мм, 1000×1000", "шт", [("20", 30), ("30", 44), ("50", 72), ("100", 142)]),
    Family("BM-IZO", "Пінополістирол екструдований XPS {} мм, 600×1250", "шт", [("30", 98), ("50", 160)]),
    one("BM-IZO", "Плівка пароізоляційна 75 м²", "шт", 690),
    one("BM-IZO", "Мембрана вітрогідрозахисна 75 м²", "шт", 1150),
    Family("BM-IZO", "Піна монтажна {} 750 мл", "шт", [("професійна Ceresit TS 62", 265), ("побутова Soudal", 190)]),
    one("BM-IZO", "Клей-піна для пінопласту 850 мл", "шт", 235),
    one("BM-IZO", "Сітка фасадна склотканинна 160 г/м² (рул. 50 м²)", "шт", 690),
    Family("BM-IZO", "Дюбель для теплоізоляції 10×{} мм (уп. 100 шт)", "уп", [("90", 145), ("120", 175), ("160", 225)]),
    # покрівля
    Family("BM-POK", "Металочерепиця «Монтерей» 0,45 мм, RAL {} (пог. м)", "м", [("3005 вишнева", 360), ("8017 коричнева", 360), ("7024 графіт", 375)]),
    Family("BM-POK", "Профнастил ПС-20 0,45 мм, RAL {} (пог. м)", "м", [("6005 зелений", 320), ("8017 коричневий", 320), ("9003 білий", 320)]),
    one("BM-POK", "Профнастил С-8 оцинкований 0,4 мм (пог. м)", "м", 235),
    one("BM-POK", "Руберойд РКП-350 (рул. 15 м²)", "шт", 420),
    one("BM-POK", "Єврорубероїд ЕПП 3,0 (рул. 10 м²)", "шт", 780),
    one("BM-POK", "Мастика бітумна 18 кг", "шт", 720),
    one("BM-POK", "Праймер бітумний 18 л", "шт", 980),
    one("BM-POK", "Жолоб водостічний ПВХ 125 мм, 3 м", "шт", 390),
    one("BM-POK", "Труба водостічна ПВХ 90 мм, 3 м", "шт", 340),
    one("BM-POK", "Гідроізоляція обмазувальна Ceresit CR 65 25 кг", "шт", 640),
    # металопрокат
    Family("BM-MET", "Арматура А500С Ø{} мм (пог. м)", "м", [("8", 19), ("10", 29), ("12", 41), ("14", 56), ("16", 73)]),
    one("BM-MET", "Дріт в'язальний 1,2 мм", "кг", 78),
    Family("BM-MET", "Кутник сталевий {} мм (пог. м)", "м", [("25×25×3", 52), ("40×40×4", 108), ("50×50×5", 165)]),
    Family("BM-MET", "Труба профільна {}×2 мм (пог. м)", "м", [("20×20", 62), ("40×20", 89), ("40×40", 128), ("60×40", 162)]),
    one("BM-MET", "Сітка кладочна 50×50×3 мм, карта 1×2 м", "шт", 95),
    one("BM-MET", "Лист оцинкований 0,5 мм, 1250×2500", "шт", 940),
    one("BM-MET", "Швелер 10П (пог. м)", "м", 520),
    # лакофарбові
    Family("FRB", "Фарба інтер'єрна акрилова біла {}", "шт", [("Śnieżka Eko 3 л", 260), ("Śnieżka Eko 10 л", 760), ("Dulux Bindo 7 2,5 л", 540), ("Dulux Bindo 7 10 л", 1890), ("Kolorit Interior Plus 4,5 л", 720), ("Kolorit Interior Plus 9 л", 1350)]),
    Family("FRB", "Фарба фасадна {} 10 л", "шт", [("Ceresit CT 54 силікатна", 1980), ("Śnieżka Acryl-Putz", 1150), ("Kolorit Facade", 1420)]),
    Family("FRB", "Емаль ПФ-115 {} 2,8 кг", "шт", [("біла", 330), ("чорна", 315), ("сіра", 315), ("червоно-коричнева", 315), ("зелена", 320), ("жовта", 325)]),
    Family("FRB", "Ґрунт-емаль по іржі 3 в 1 {} 0,75 л", "шт", [("чорна", 215), ("сіра", 215)]),
    Family("FRB", "Лак для дерева {} 0,75 л", "шт", [("яхтний глянцевий", 285), ("акриловий матовий", 250)]),
    one("FRB", "Морилка для дерева «Горіх» 0,5 л", "шт", 95),
    one("FRB", "Розчинник 646, 0,5 л", "шт", 58),
    one("FRB", "Уайт-спірит 1 л", "шт", 85),
    Family("FRB", "Колер універсальний {} 100 мл", "шт", [("жовтий", 48), ("червоний", 52), ("синій", 48), ("зелений", 48), ("чорний", 45)]),
    one("FRB", "Скотч малярний 38 мм × 50 м", "шт", 42),
    one("FRB", "Плівка захисна 4×5 м", "шт", 28),
    # кріплення і метизи
    Family("KRP", "Саморіз по дереву {} мм, жовтий цинк (уп. 200 шт)", "уп", [("3,5×25", 52), ("3,5×35", 64), ("3,5×45", 78), ("4,2×51", 105), ("4,2×76", 148), ("4,8×100", 235)]),
    Family("KRP", "Саморіз гіпсокартон–метал {} мм (уп. 1000 шт)", "уп", [("3,5×25", 165), ("3,5×35", 205), ("3,5×45", 255)]),
    one("KRP", "Саморіз «клоп» 3,5×9,5 мм (уп. 1000 шт)", "уп", 175),
    Family("KRP", "Саморіз по металу зі свердлом 4,2×{} мм (уп. 500 шт)", "уп", [("13", 145), ("19", 170)]),
    Family("KRP", "Саморіз покрівельний 4,8×35 мм, RAL {} (уп. 250 шт)", "уп", [("3005", 310), ("8017", 310), ("6005", 310), ("7024", 320)]),
    Family("KRP", "Дюбель-цвях {} мм (уп. 100 шт)", "уп", [("6×40", 68), ("6×60", 92), ("8×80", 175), ("8×100", 205)]),
    Family("KRP", "Анкерний болт з гайкою {} мм", "шт", [("M8×65", 9.5), ("M10×80", 15), ("M12×100", 24)]),
    Family("KRP", "Цвяхи будівельні {} мм", "кг", [("2,5×50", 62), ("3×70", 58), ("4×100", 56), ("5×120", 57), ("6×150", 59)]),
    one("KRP", "Цвяхи покрівельні оцинковані 3,5×30 мм", "кг", 112),
    Family("KRP", "Шпилька різьбова DIN 975 М{}, 1 м", "шт", [("8", 38), ("10", 52), ("12", 74)]),
    Family("KRP", "Гайка DIN 934 М{} оцинкована (уп. 100 шт)", "уп", [("8", 95), ("10", 145)]),
    Family("KRP", "Шайба DIN 125 М{} оцинкована (уп. 100 шт)", "уп", [("8", 55), ("10", 75)]),
    # ручний інструмент
    Family("INS-RUC", "Молоток слюсарний {} г", "шт", [("300", 165), ("500", 215), ("800", 290)]),
    Family("INS-RUC", "Рулетка {} м", "шт", [("3", 85), ("5", 130), ("8", 210), ("10", 265)]),
    Family("INS-RUC", "Рівень будівельний алюмінієвий {} см", "шт", [("40", 180), ("60", 230), ("100", 340), ("200", 620)]),
    Family("INS-RUC", "Шпатель фасадний нержавіючий {} мм", "шт", [("100", 62), ("150", 75), ("250", 98), ("350", 125), ("450", 150)]),
    one("INS-RUC", "Кельма штукатурна 180 мм", "шт", 115),
    one("INS-RUC", "Терка пінопластова 280×140 мм", "шт", 48),
    one("INS-RUC", "Валик малярний велюровий 250 мм з ручкою", "шт", 145),
    Family("INS-RUC", "Пензель плоский {} мм", "шт", [("50", 42), ("75", 58), ("100", 76)]),
    one("INS-RUC", "Ніж будівельний з висувним лезом 18 мм", "шт", 65),
    one("INS-RUC", "Леза для ножа 18 мм (уп. 10 шт)", "уп", 48),
    one("INS-RUC", "Ножівка по дереву 450 мм", "шт", 210),
    one("INS-RUC", "Відро будівельне 20 л", "шт", 85),
    one("INS-RUC", "Правило алюмінієве 2 м", "шт", 320),
    # оснащення
    Family("INS-OSN", "Диск відрізний по металу {} мм", "шт", [("125×1,0×22,2", 18), ("125×1,6×22,2", 21), ("180×2,0×22,2", 38), ("230×2,0×22,2", 52)]),
    Family("INS-OSN", "Диск алмазний сегментний {} мм", "шт", [("125", 210), ("230", 480)]),
    Family("INS-OSN", "Свердло по бетону SDS-plus {} мм", "шт", [("6×110", 45), ("6×160", 52), ("8×160", 58), ("10×160", 68), ("12×210", 95)]),
    Family("INS-OSN", "Свердло по металу HSS {} мм", "шт", [("3", 14), ("5", 22), ("6", 28), ("8", 42), ("10", 65)]),
    one("INS-OSN", "Коронка по бетону SDS-plus 68 мм", "шт", 640),
    one("INS-OSN", "Біта PH2×50 мм (уп. 10 шт)", "уп", 120),
    # сантехніка
    Family("ING-SAN", "Труба ПП-R PN20 Ø{} мм (пог. м)", "м", [("20", 24), ("25", 36), ("32", 58), ("40", 92)]),
    Family("ING-SAN", "Труба каналізаційна ПВХ {}", "шт", [("Ø50 мм × 1 м", 62), ("Ø50 мм × 2 м", 108), ("Ø110 мм × 1 м", 155), ("Ø110 мм × 2 м", 275)]),
    Family("ING-SAN", "Кран кульовий латунний {}", "шт", [('1/2"', 165), ('3/4"', 235), ('1"', 360)]),
    Family("ING-SAN", "Муфта ПП-R Ø{} мм", "шт", [("20", 4.5), ("25", 6.5), ("32", 11)]),
    Family("ING-SAN", "Коліно ПП-R 90° Ø{} мм", "шт", [("20", 5.2), ("25", 7.8), ("32", 13)]),
    Family("ING-SAN", "Трійник ПП-R Ø{} мм", "шт", [("20", 6.5), ("25", 9.8)]),
    one("ING-SAN", "Фум-стрічка 12 мм × 10 м", "шт", 14),
    one("ING-SAN", "Герметик силіконовий санітарний білий 280 мл", "шт", 125),
    one("ING-SAN", "Сифон для мийки з переливом", "шт", 165),
    # електротовари
    Family("ING-EL", "Кабель ВВГнг {} мм² (пог. м)", "м", [("2×1,5", 24), ("3×1,5", 33), ("3×2,5", 52), ("3×4", 82), ("3×6", 122)]),
    Family("ING-EL", "Провід ПВС {} мм² (пог. м)", "м", [("2×0,75", 14), ("3×1,5", 32), ("3×2,5", 49)]),
    Family("ING-EL", "Автоматичний вимикач 1P {} А, хар. C", "шт", [("10", 92), ("16", 92), ("25", 98), ("32", 105)]),
    one("ING-EL", "Диференційний автомат 2P 16 А 30 мА", "шт", 720),
    one("ING-EL", "Розетка подвійна із заземленням, біла", "шт", 118),
    one("ING-EL", "Вимикач одноклавішний, білий", "шт", 72),
    one("ING-EL", "Коробка розподільча 100×100 мм IP55", "шт", 58),
    one("ING-EL", "Гофротруба ПВХ 20 мм (бухта 50 м)", "шт", 240),
    Family("ING-EL", "Лампа LED A60 {} Вт E27 4000K", "шт", [("10", 38), ("15", 55)]),
    Family("ING-EL", "Прожектор LED {} Вт IP65", "шт", [("30", 280), ("50", 390)]),
    one("ING-EL", "Ізострічка ПВХ 19 мм × 20 м", "шт", 32),
    # засоби захисту; медичні вироби оподатковуються ПДВ за ставкою 7 %
    one("ZIZ", "Рукавиці трикотажні з ПВХ-крапкою (уп. 10 пар)", "уп", 120),
    one("ZIZ", "Окуляри захисні прозорі", "шт", 55),
    Family("ZIZ", "Каска будівельна {}", "шт", [("біла", 145), ("помаранчева", 145)]),
    one("ZIZ", "Респіратор FFP2 з клапаном", "шт", 28),
    one("ZIZ", "Маска медична тришарова (уп. 50 шт)", "уп", 85, vat=7),
    one("ZIZ", "Рукавички нітрилові оглядові (уп. 100 шт)", "уп", 260, vat=7),
    one("ZIZ", "Аптечка медична виробнича", "шт", 420, vat=7),
    one("ZIZ", "Пластир медичний бактерицидний (уп. 20 шт)", "уп", 38, vat=7),
    # послуги і тара; супутні експорту послуги — нульова ставка ПДВ
    one("SRV", "Піддон дерев'яний 1200×800 мм (зворотна тара)", "шт", 240),
    one("SRV", "Доставка по місту (рейс до 1,5 т)", "шт", 1200),
    one("SRV", "Міжнародне перевезення вантажу (експорт)", "шт", 18000, vat=0),
    one("SRV", "Експедирування експортної партії", "шт", 2500, vat=0),
]  # fmt: skip

# Discontinued: in the catalogue and the price lists, but no longer sold.
INACTIVE_PRODUCTS = {
    "Фарба інтер'єрна акрилова біла Kolorit Interior Plus 4,5 л",
    "Профнастил С-8 оцинкований 0,4 мм (пог. м)",
    "Лампа LED A60 10 Вт E27 4000K",
}
DELIVERY_SERVICE = "Доставка по місту (рейс до 1,5 т)"
# Groups a kind of customer buys from (by group code prefix); SRV is added by hand only.
BUYS = {
    "wholesale": ("BM", "FRB", "KRP", "INS", "ING", "ZIZ"),
    "retail": ("BM-SUM", "FRB", "KRP", "INS", "ING", "ZIZ"),
    "shop": ("BM-SUM", "BM-CEM", "FRB", "KRP", "INS", "ING"),
    "construction": ("BM", "KRP", "ING", "ZIZ", "INS-OSN"),
}

# --- places ---------------------------------------------------------------------------------


class City(NamedTuple):
    name: str
    oblast: str | None
    postal: str
    phone_code: str
    region: str  # two digits of the tax office region in VAT numbers
    warehouse: str


CITIES = {
    "kyiv": City("Київ", None, "0{}", "44", "26", "KYIV"),  # 01001-04210
    "brovary": City("Бровари", "Київська обл.", "074{}", "4594", "10", "KYIV"),
    "irpin": City("Ірпінь", "Київська обл.", "082{}", "4597", "10", "KYIV"),
    "bila": City("Біла Церква", "Київська обл.", "091{}", "4563", "10", "KYIV"),
    "zhytomyr": City("Житомир", "Житомирська обл.", "100{}", "412", "06", "KYIV"),
    "chernihiv": City("Чернігів", "Чернігівська обл.", "140{}", "462", "25", "KYIV"),
    "poltava": City("Полтава", "Полтавська обл.", "360{}", "532", "16", "KYIV"),
    "cherkasy": City("Черкаси", "Черкаська обл.", "180{}", "472", "23", "KYIV"),
    "kharkiv": City("Харків", "Харківська обл.", "610{}", "57", "20", "KYIV"),
    "dnipro": City("Дніпро", "Дніпропетровська обл.", "490{}", "56", "04", "KYIV"),
    "odesa": City("Одеса", "Одеська обл.", "650{}", "48", "15", "KYIV"),
    "vinnytsia": City("Вінниця", "Вінницька обл.", "210{}", "432", "02", "KYIV"),
    "khmelnytskyi": City("Хмельницький", "Хмельницька обл.", "290{}", "382", "22", "LVIV"),
    "lviv": City("Львів", "Львівська обл.", "790{}", "32", "13", "LVIV"),
    "frankivsk": City("Івано-Франківськ", "Івано-Франківська обл.", "760{}", "342", "09", "LVIV"),
    "ternopil": City("Тернопіль", "Тернопільська обл.", "460{}", "352", "19", "LVIV"),
    "rivne": City("Рівне", "Рівненська обл.", "330{}", "362", "17", "LVIV"),
    "lutsk": City("Луцьк", "Волинська обл.", "430{}", "332", "03", "LVIV"),
    "uzhhorod": City("Ужгород", "Закарпатська обл.", "880{}", "312", "07", "LVIV"),
    "chernivtsi": City("Чернівці", "Чернівецька обл.", "580{}", "372", "24", "LVIV"),
}
STREETS = [
    "вул. Промислова",
    "вул. Шевченка",
    "вул. Івана Франка",
    "просп. Незалежності",
    "вул. Заводська",
    "вул. Складська",
    "вул. Героїв Майдану",
    "вул. Соборна",
    "вул. Київська",
    "вул. Грушевського",
    "вул. Садова",
    "вул. Лесі Українки",
    "вул. Богдана Хмельницького",
    "вул. Індустріальна",
    "вул. Небесної Сотні",
]
SITES = [
    "ЖК «Сонячна долина»",
    "ЖК «Липовий гай»",
    "відновлення школи № 12",
    "складський комплекс «Логістик Парк»",
    "котеджне містечко «Зелена гавань»",
    "лікарня, корпус Б",
    "ЖК «Оріон», секція 3",
]
# Banks by МФО (the bank code inside a Ukrainian IBAN).
BANKS = ["305299", "300465", "380805", "334851", "351005", "322001", "320478", "300528", "300614"]

# --- people ---------------------------------------------------------------------------------

MALE_NAMES = ["Олександр", "Андрій", "Сергій", "Володимир", "Дмитро", "Василь", "Микола", "Юрій", "Ігор", "Олег", "Тарас", "Богдан", "Роман", "Віктор", "Петро"]  # fmt: skip
FEMALE_NAMES = ["Олена", "Наталія", "Ірина", "Тетяна", "Оксана", "Юлія", "Світлана", "Марія", "Галина", "Людмила", "Вікторія", "Анна"]  # fmt: skip
SURNAMES = ["Коваленко", "Бондаренко", "Ткаченко", "Шевченко", "Кравченко", "Олійник", "Мельник", "Поліщук", "Лисенко", "Савчук", "Гнатюк", "Мороз", "Марченко", "Руденко", "Кушнір", "Романюк", "Павленко", "Бойко", "Ткачук", "Гончаренко", "Дорошенко", "Левченко", "Захарченко", "Федорук", "Климчук"]  # fmt: skip
# father's name -> (patronymic of a man, of a woman)
PATRONYMICS = [
    ("Іванович", "Іванівна"),
    ("Петрович", "Петрівна"),
    ("Миколайович", "Миколаївна"),
    ("Васильович", "Василівна"),
    ("Олександрович", "Олександрівна"),
    ("Андрійович", "Андріївна"),
    ("Володимирович", "Володимирівна"),
    ("Сергійович", "Сергіївна"),
    ("Михайлович", "Михайлівна"),
    ("Юрійович", "Юріївна"),
]
POSITIONS = {
    "wholesale": ["Менеджер з закупівель", "Головний бухгалтер", "Завідувач складу"],
    "retail": ["Категорійний менеджер", "Менеджер з закупівель", "Бухгалтер"],
    "construction": ["Виконроб", "Інженер з постачання", "Головний бухгалтер"],
    "shop": ["Продавець-консультант", "Бухгалтер"],
}
MOBILE_CODES = ["50", "63", "66", "67", "68", "73", "93", "95", "96", "97", "98", "99"]

# --- customers ------------------------------------------------------------------------------


class CustomerSpec(NamedTuple):
    legal_name: str
    short_name: str
    kind: str  # wholesale | retail | construction | shop (a sole trader's shop, no group)
    city: str
    manager: str
    slug: str
    terms: str
    method: str
    delivery: str
    currency: str = "UAH"
    price_list: str = "WHOLESALE"
    second: str | None = None  # payment terms of a second, project contract
    female: bool = False  # for a sole trader (ФОП): the 9th digit of the РНОКПП
    active: bool = True


C = CustomerSpec
CUSTOMERS = [
    C("ТОВ «Будмаркет Захід»", "Будмаркет Захід", "wholesale", "lviv", "manager1", "budmarket-zakhid", "net30", "bank", "carrier", second="net14"),
    C("ТОВ «Оптбудторг»", "Оптбудторг", "wholesale", "kyiv", "manager2", "optbudtorh", "net14", "bank", "own", second="half50"),
    C("ПП «Метизи Поділля»", "Метизи Поділля", "wholesale", "vinnytsia", "manager2", "metyzy-podillia", "net14", "bank", "carrier"),
    C("ТОВ «Галбудпостач»", "Галбудпостач", "wholesale", "frankivsk", "manager1", "halbudpostach", "net30", "bank", "own"),
    C("ТОВ «Слобожанський будівельний двір»", "Слобожанський буддвір", "wholesale", "kharkiv", "manager2", "sloboda-dvir", "net14", "bank", "carrier"),
    C("ПП «Дніпромет»", "Дніпромет", "wholesale", "dnipro", "manager2", "dnipromet", "prepay100", "bank", "carrier"),
    C("ТОВ «Волинь-Буд-Ресурс»", "Волинь-Буд-Ресурс", "wholesale", "lutsk", "manager1", "volyn-bud-resurs", "net14", "bank", "own"),
    C("ТОВ «Полтавабудкомплект»", "Полтавабудкомплект", "wholesale", "poltava", "manager2", "poltavabudkomplekt", "net30", "bank", "carrier"),
    C("ТОВ «Черкасибудтрейд»", "Черкасибудтрейд", "wholesale", "cherkasy", "manager2", "cherkasybudtreid", "half50", "bank", "carrier"),
    C("ПП «Рівнебудпостач»", "Рівнебудпостач", "wholesale", "rivne", "manager1", "rivnebudpostach", "net14", "bank", "own"),
    C("ТОВ «Майстерня дому»", "Майстерня дому", "retail", "kyiv", "head", "maisternia-domu", "net30", "bank", "own", second="net14"),
    C("ТОВ «Дім і сад»", "Дім і сад", "retail", "odesa", "manager2", "dim-i-sad", "net30", "bank", "carrier"),
    C("ТОВ «Господар Плюс»", "Господар Плюс", "retail", "zhytomyr", "manager1", "hospodar-plus", "net14", "bank", "own"),
    C("ТОВ «Будсупермаркет Цегла»", "Цегла", "retail", "ternopil", "manager1", "tsehla", "net30", "bank", "own"),
    C("ТОВ «Ремонт-Центр»", "Ремонт-Центр", "retail", "khmelnytskyi", "manager1", "remont-tsentr", "net14", "bank", "carrier"),
    C("ФОП Коваленко Петро Іванович", "ФОП Коваленко П. І.", "shop", "bila", "manager2", "kovalenko-bc", "prepay100", "bank", "pickup", price_list="RETAIL"),
    C("ФОП Савчук Ірина Миколаївна", "ФОП Савчук І. М.", "shop", "uzhhorod", "manager1", "savchuk-uzh", "prepay100", "card", "carrier", price_list="RETAIL", female=True),
    C("ФОП Гнатюк Олег Васильович", "ФОП Гнатюк О. В.", "shop", "chernivtsi", "manager1", "hnatiuk-cv", "prepay100", "cod", "carrier", price_list="RETAIL"),
    C("ФОП Мороз Тетяна Петрівна", "ФОП Мороз Т. П.", "shop", "brovary", "manager2", "moroz-brovary", "prepay100", "bank", "pickup", price_list="RETAIL", female=True),
    C("ФОП Лисенко Василь Андрійович", "ФОП Лисенко В. А.", "shop", "irpin", "manager2", "lysenko-irpin", "prepay100", "cash", "pickup", price_list="RETAIL"),
    C("ТОВ «БК Новобуд»", "БК Новобуд", "construction", "kyiv", "head", "novobud", "half50", "bank", "own", second="net30"),
    C("ТОВ «Житлобуд-Схід»", "Житлобуд-Схід", "construction", "kharkiv", "manager2", "zhytlobud-skhid", "half50", "bank", "own"),
    C("ТОВ «Моноліт Девелопмент»", "Моноліт Девелопмент", "construction", "dnipro", "manager2", "monolit-dev", "net30", "bank", "own", second="half50"),
    C("ТОВ «БК Карпати»", "БК Карпати", "construction", "frankivsk", "manager1", "bk-karpaty", "half50", "bank", "own"),
    C("ТОВ «Оберіг Буд»", "Оберіг Буд", "construction", "vinnytsia", "manager2", "oberih-bud", "net14", "bank", "own"),
    C("ПП «Будсервіс-Поділля»", "Будсервіс-Поділля", "construction", "khmelnytskyi", "manager1", "budservis-podillia", "half50", "bank", "own"),
    C("ТОВ «Інтербудпроект»", "Інтербудпроект", "construction", "odesa", "manager2", "interbudproekt", "net30", "bank", "own"),
    C("ТОВ «Ремдорбуд»", "Ремдорбуд", "construction", "poltava", "manager2", "remdorbud", "net14", "bank", "pickup"),
    C("ТОВ «Атлант Констракшн»", "Атлант Констракшн", "construction", "kyiv", "head", "atlant-construction", "half50", "bank", "own", currency="EUR", price_list="EXPORT_EUR"),
    C("ТОВ «Відбудова Північ»", "Відбудова Північ", "construction", "chernihiv", "manager2", "vidbudova-pivnich", "net30", "bank", "own"),
    C("ПП «Дахмайстер»", "Дахмайстер", "construction", "rivne", "manager1", "dakhmaister", "prepay100", "bank", "own"),
    C("ФОП Бондар Сергій Олексійович", "ФОП Бондар С. О.", "construction", "lviv", "manager1", "bondar-lviv", "prepay100", "bank", "pickup", price_list="RETAIL"),
    C("ТОВ «Нордбуд Україна»", "Нордбуд Україна", "wholesale", "lviv", "manager1", "nordbud-ua", "prepay100", "bank", "carrier", currency="EUR", price_list="EXPORT_EUR"),
    C("ТОВ «Євробуд Інжиніринг»", "Євробуд Інжиніринг", "construction", "uzhhorod", "manager1", "eurobud-eng", "half50", "bank", "carrier", currency="EUR", price_list="EXPORT_EUR"),
    C("ТОВ «Білобуд»", "Білобуд", "construction", "bila", "manager2", "bilobud", "net14", "bank", "own"),
    C("ТОВ «Старбуд»", "Старбуд", "wholesale", "zhytomyr", "manager2", "starbud", "net14", "bank", "carrier", active=False),
]  # fmt: skip
# --small: a few customers that still cover every kind, manager, currency and contract shape.
SMALL_CUSTOMERS = [
    "budmarket-zakhid",
    "optbudtorh",
    "maisternia-domu",
    "hospodar-plus",
    "kovalenko-bc",
    "savchuk-uzh",
    "novobud",
    "zhytlobud-skhid",
    "bk-karpaty",
    "atlant-construction",
]
MAX_DISCOUNT = {"wholesale": 7, "retail": 5, "construction": 5, "shop": 3}
DELIVERY_TERMS = {
    "own": "Доставка транспортом постачальника до складу покупця",
    "carrier": "Доставка перевізником (Нова пошта) за рахунок покупця",
    "pickup": "Самовивіз зі складу постачальника",
}
SITE_DELIVERY = "Доставка транспортом постачальника на об'єкт покупця"

# --- order texts ----------------------------------------------------------------------------

ORDER_COMMENTS = [
    "Доставка з 8:00 до 12:00",
    "Розвантаження маніпулятором",
    "Перед доставкою зателефонувати виконробу",
    "Товар потрібен до кінця тижня",
    "Піддони повернути водієві",
    "Відвантажити однією машиною",
    "Рахунок надіслати на пошту бухгалтерії",
    "Заїзд з вул. Промислової, ворота № 2",
]
DRAFT_NOTES = [
    "Клієнт уточнює кількість, чекаємо підтвердження",
    "Очікуємо гарантійний лист щодо оплати",
    "Узгодити дату доставки з виконробом",
]
AMEND_REASONS = {
    "more": "Клієнт збільшив кількість за телефонною заявкою",
    "less": "Зменшено кількість: частина товару вже є на об'єкті",
    "add": "Додано позицію на прохання клієнта",
    "date": "Перенесено дату доставки за листом клієнта",
}
# code -> weight; "other" needs a comment
CANCEL_REASONS = {
    "customer_refused": 40,
    "out_of_stock": 20,
    "price_changed": 15,
    "duplicate": 10,
    "other": 15,
}
CANCEL_COMMENTS = [
    "Об'єкт заморожено замовником",
    "Клієнт замовив в іншого постачальника через терміни",
    "Змінився проєкт, потрібні інші позиції",
    "Не погоджено бюджет на стороні клієнта",
]

# --- order templates ------------------------------------------------------------------------


class TemplateSpec(NamedTuple):
    name: str
    owner: str
    shared: bool
    lines: list[tuple[str, int]]  # product name, quantity
    discount: int = 0
    comment: str = ""


TEMPLATES = [
    TemplateSpec(
        "Перегородка з гіпсокартону, ≈50 м²",
        "manager1",
        True,
        [
            ("Гіпсокартон стіновий Knauf 12,5×1200×2500 мм", 34),
            ("Профіль CW-75 0,6 мм, 3 м", 36),
            ("Профіль UW-75 0,6 мм, 3 м", 14),
            ("Саморіз гіпсокартон–метал 3,5×25 мм (уп. 1000 шт)", 2),
            ("Саморіз «клоп» 3,5×9,5 мм (уп. 1000 шт)", 1),
            ("Дюбель-цвях 6×40 мм (уп. 100 шт)", 2),
            ("Стрічка-серп'янка 45 мм × 90 м", 3),
            ("Шпаклівка Knauf Fugenfüller 25 кг", 4),
            ("Мінеральна вата Knauf Insulation TS 037 50 мм, 12,5 м²", 8),
        ],
    ),
    TemplateSpec(
        "Плиточні роботи: клей, ґрунт, фуга",
        "manager1",
        False,
        [
            ("Клей для плитки Ceresit CM 11 25 кг", 20),
            ("Клей для плитки Ceresit CM 17 25 кг", 6),
            ("Ґрунтовка глибокого проникнення Ceresit CT 17 10 л", 2),
            ("Фуга Ceresit CE 33 сіра 2 кг", 8),
            ("Шпатель фасадний нержавіючий 250 мм", 2),
        ],
    ),
    TemplateSpec(
        "Щотижневе поповнення: кріплення",
        "manager1",
        False,
        [
            ("Саморіз по дереву 3,5×35 мм, жовтий цинк (уп. 200 шт)", 20),
            ("Саморіз по дереву 4,2×51 мм, жовтий цинк (уп. 200 шт)", 10),
            ("Дюбель-цвях 6×40 мм (уп. 100 шт)", 20),
            ("Дюбель-цвях 8×80 мм (уп. 100 шт)", 10),
            ("Анкерний болт з гайкою M10×80 мм", 100),
            ("Цвяхи будівельні 3×70 мм", 25),
        ],
        discount=3,
        comment="Планове поповнення складу клієнта",
    ),
    TemplateSpec(
        "Покрівля: металочерепиця з водостоком",
        "manager2",
        False,
        [
            ("Металочерепиця «Монтерей» 0,45 мм, RAL 8017 коричнева (пог. м)", 120),
            ("Саморіз покрівельний 4,8×35 мм, RAL 8017 (уп. 250 шт)", 4),
            ("Мембрана вітрогідрозахисна 75 м²", 2),
            ("Жолоб водостічний ПВХ 125 мм, 3 м", 8),
            ("Труба водостічна ПВХ 90 мм, 3 м", 6),
        ],
    ),
]

# --- approvals, credit, warehouse and payments ---------------------------------------------------

# Company-wide limits (pricing): the floor margin and the order amount that needs approval (UAH).
MIN_MARGIN_PERCENT = 3
ORDER_AMOUNT_THRESHOLD = 400_000
FLOOR_SECOND_STAGE_FROM = 150_000  # a price below the floor on a larger order: the director too

# Customers whose story the demo tells on purpose (slugs; each is in the --small set too).
LATE_PAYER = "budmarket-zakhid"  # pays half of its invoices months late (warn only): aging 31-90+
OVERDUE_BLOCKED = "optbudtorh"  # stopped paying ~6 weeks ago: held orders, blocked by check_overdue
LIMIT_CUT = "hospodar-plus"  # limit cut three weeks ago: new orders wait in credit hold
STORY_CUSTOMERS = {LATE_PAYER, OVERDUE_BLOCKED, LIMIT_CUT}
BAD_PAYERS = {LATE_PAYER, OVERDUE_BLOCKED}
LIMIT_CUT_DAYS = 21
LIMIT_CUT_AMOUNT = 10_000
# (customer, days ago, how its invoices are paid — or "queue": released, not shipped yet):
# orders the story needs in every run
STORY_ORDERS = [
    (LATE_PAYER, 150, "none"),
    (LATE_PAYER, 110, "part"),
    (LATE_PAYER, 90, "none"),
    (LATE_PAYER, 70, "none"),
    (LATE_PAYER, 40, "none"),
    (OVERDUE_BLOCKED, 58, "none"),
    (OVERDUE_BLOCKED, 9, ""),
    (LIMIT_CUT, 18, ""),
    (LIMIT_CUT, 5, ""),
    ("maisternia-domu", 1, "queue"),  # released by the head yesterday: in the warehouse queue
]
STOPPED_PAYING_DAYS = 60  # the blocked customer has paid nothing for orders since
LIMIT_CUT_REASON = "Ліміт знижено: дві оплати у жовтні надійшли із запізненням"

# Credit limits by kind of customer: amount UAH (EUR for EUR contracts), mode, tolerated days.
CREDIT_LIMITS = {
    "wholesale": (900_000, "block_confirmation", 30),
    "retail": (600_000, "block_confirmation", 30),
    "construction": (1_500_000, "warn", 30),
    "shop": (80_000, "block_confirmation", 7),
}
CREDIT_LIMITS_EUR = 40_000
GROUP_LIMIT = ("retail", 2_500_000)  # the retail chains share one limit

APPROVE_COMMENTS = [
    "Погоджено: клієнт бере повну машину",
    "Погоджено як виняток, наступне замовлення — за прайсом",
    "Погоджено, конкурент пропонує дешевше",
    "Погоджено: великий об'єкт, важливий клієнт",
]
REJECT_COMMENTS = [
    "Не погоджую: ціна нижче собівартості, запропонуйте інший товар",
    "Не погоджую: знижка не покривається обсягом замовлення",
]
RETURN_COMMENTS = [
    "Знизьте знижку до 5 % або збільште обсяг замовлення",
    "Поверніть знижку в межі договору і подайте знову",
]
CREDIT_APPROVE_COMMENTS = [
    "Погоджено: клієнт платить вчасно понад рік",
    "Погоджено на цей раз, далі — на умовах договору",
]
HOLD_RELEASE_COMMENT = "Клієнт надав гарантійний лист, оплата до п'ятниці"
OVERDUE_CANCEL_COMMENT = "Клієнт не погасив прострочену заборгованість"
RECEIPT_COMMENTS = [
    "Надходження від постачальника, ТТН № {}",
    "Прихід за договором поставки, ТТН № {}",
]
LINE_CANCEL_REASONS = {"out_of_stock": 3, "customer_refused": 2, "other": 1}
LINE_CANCEL_COMMENTS = [
    "Постачальник зняв позицію з виробництва",
    "Клієнт купив залишок на місці",
]
PAYMENT_PURPOSE = "Оплата за рахунком № {n} від {d}, у т.ч. ПДВ"
PREPAYMENT_PURPOSE = "Передоплата за замовленням {n}, у т.ч. ПДВ"
CASH_BASIS = "Оплата за замовленням {n}"
