"""Labelled messages for the anti-spam rules, and the measurement used by the test and the bench.

Spam is modelled on what lands in Russian town and building chats: work-from-home and crypto
adverts, betting, loans, dating, channel promotion, local adverts copied into every chat, and
obfuscated variants. Legitimate messages are residents' complaints and questions, many from
new members (still on probation, so every rule applies to them).

`on_probation=False` marks a long-time member: the handler never runs the content rules for
them (`should_check`), which the measurement reproduces. `copies_in_other_chats` says how many
other registered chats got the same text from the same user a few minutes earlier; the
measurement feeds those copies through a real `DuplicateDetector`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.domain.flood import DuplicateDetector
from bot.domain.spam import (
    CLEAN,
    MessageFacts,
    SpamPolicy,
    SpamVerdict,
    check_message,
    should_check,
)


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    is_spam: bool
    on_probation: bool = True
    urls: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    forwarded_from_channel: bool = False
    forward_channel: str | None = None
    has_contact: bool = False
    copies_in_other_chats: int = 0


spam = partial(Case, is_spam=True)
legit = partial(Case, is_spam=False)


SPAM: tuple[Case, ...] = (
    # work from home, easy money
    spam("Нужны люди для работы на дому, доход от 3000 руб в день. Пишите в личку"),
    spam(
        "Всем привет! Ищу 3-х человек в команду, удалённая работа 2-3 часа в день, "
        "50 000 в месяц. Подробности в ЛС"
    ),
    spam("Требуются курьеры, оплата ежедневно, от 4000₽/день. Пиши в телеграм @kurier_job"),
    spam("Набираем людей в команду, работа с телефона, 2-3 часа в день. Все подробности в лс"),
    spam(
        "Удалённая подработка для мам в декрете и студентов. Нужен только телефон. "
        "Доход от 1500р в день"
    ),
    spam("РАБОТА НА ДОМУ!!! Упаковка ручек и календарей, оплата 1200 р/день. Звоните"),
    spam("Кто ищет работу? Работа удаленно, 4 часа в день, 35 000 в месяц. Пиши «+» в лс"),
    spam("Ищу людей на подработку, 18+, выплаты каждый день. Пиши"),
    spam("Заработок на отзывах и лайках! Пишите в телеграмм, всё расскажу"),
    spam("Нужны водители в такси, заработок от 5000 в день, авто предоставляем"),
    spam("Хочешь зарабатывать от 100к в месяц не выходя из дома? Обучу трейдингу бесплатно"),
    spam("Кто хочет пассивный доход? Вложения от 10 000 руб, прибыль каждый день. Пишите мне"),
    spam("Ищу партнёров для совместного бизнеса, прибыль 30% в месяц, вложения от 5 тыс"),
    spam("Сливаю рабочие схемы заработка в тг канале, заходи t.me/shemy_zarabotka"),
    # crypto
    spam(
        "💰Заработок на криптовалюте от 1000$ в неделю! Без вложений! "
        "Переходи 👉 t.me/crypto_profit_bot"
    ),
    spam("Арбитраж USDT, P2P связки, доход 3-5% за круг. Обучаю бесплатно, пиши @arb_master"),
    spam(
        "Биткоин растёт! Успей купить сейчас, все подробности в нашем канале https://t.me/+AbCd1"
    ),
    spam("Продаю USDT по хорошему курсу, обмен криптовалют, наличные в любом городе"),
    spam("Крипта растет, заходи в наш чат трейдеров, пока есть места"),
    spam("Обмен USDT/RUB по лучшему курсу, наличные и на карту, быстро"),
    # betting and gambling
    spam("Ставки на спорт с проходимостью 90%! Бесплатные прогнозы в канале @bet_profi"),
    spam("Лучшее онлайн казино, бонус 200% на первый депозит, фриспины каждый день"),
    spam("🎰 1xBet промокод на фрибет 5000 рублей! Жми на ссылку в профиле"),
    spam("Игровые автоматы онлайн, выигрыш выводим на карту за 5 минут"),
    # loans and debts
    spam("Займ без отказа и проверки кредитной истории, деньги на карту за 5 минут"),
    spam("Вам одобрен займ 30 000 ₽! Получите деньги на карту: zaim-bystro.online"),
    spam("Ребят, кому нужны деньги срочно? Помогу с займом без отказа, даже с плохой КИ"),
    spam("Кредитные карты даже с плохой кредитной историей, оформление онлайн за 5 минут"),
    spam(
        "Здравствуйте, я Анна, помогаю людям выйти из долгов. Списание долгов по кредитам "
        "через банкротство физлиц, бесплатная консультация, пишите в личные сообщения"
    ),
    # dating and adult
    spam("Девушки вашего города хотят познакомиться 🔥 Интим без обязательств, пиши"),
    spam("Эскорт услуги, VIP девушки, конфиденциально. @vip_escort_city"),
    spam("Фото 18+ бесплатно, переходи по ссылке в профиле"),
    # channel promotion and other links
    spam("Всем привет! Подпишитесь на наш канал про новости города 👉 @gorod_news_24"),
    spam("Раздаём iPhone 15 бесплатно, нужно только подписаться на канал и сделать репост"),
    spam("Бесплатный VPN! Заходи в нашего бота @fast_vpn_free_bot"),
    spam("Продам аккаунты, накрутка подписчиков и просмотров, недорого. Сайт: smm-raketa.ru"),
    spam("Подробнее тут", urls=("https://bit.ly/3xYzAbC",)),
    spam("Интернет-магазин электронных сигарет и жидкостей, доставка в ваш город: vape-shop.club"),
    spam(
        "Срочно! В городе отключат свет на неделю, подробности в канале",
        forwarded_from_channel=True,
        forward_channel="gorod_novosti_life",
    ),
    spam("", has_contact=True),
    spam("Кто хочет похудеть на 10 кг за месяц без диет? Напишите мне в личку, расскажу"),
    spam("Гадание на картах таро, приворот, снятие порчи. Звоните, помогу"),
    spam("Продаю справки, больничные листы, дипломы. Быстро и недорого"),
    # obfuscated
    spam("Зaрaбoтoк в интeрнeтe от 5 тыс.р в день, пишите + в лс"),
    spam("К А З И Н О  В У Л К А Н — дарим 500 бонусов новым игрокам"),
    spam("з.а.р.а.б.о.т.о.к без в.л.о.ж.е.н.и.й, всё легально"),
    spam("Ка3ино с выводом на карту, ссылка в описании"),
    spam("Ин\u200bтим до\u200bсуг, кра\u200bсивые де\u200bвушки"),
    spam("Пишите в t . me / easy_money_rf, научу зарабатывать"),
    spam("Б И Т К О И Н растёт, успевай"),
    # local adverts copied into every chat
    spam(
        "Уважаемые жители! Продаём пиломатериалы с доставкой по городу, недорого, "
        "звоните 8-900-123-45-67",
        copies_in_other_chats=2,
    ),
    spam(
        "Натяжные потолки от производителя, замер бесплатно, скидка 20% до конца месяца",
        copies_in_other_chats=1,
    ),
    spam("Ремонт квартир под ключ, недорого, гарантия, звоните 8-912-000-11-22"),
)

LEGIT: tuple[Case, ...] = (
    # utilities
    legit("Добрый день! В доме 12 по Ленина третий день нет горячей воды. Когда дадут?"),
    legit(
        "Батареи в квартире еле тёплые, в детской +17. Кто-нибудь ещё жаловался "
        "в управляющую компанию?"
    ),
    legit("Когда заработает котельная? Обещали запустить отопление ещё 15 сентября"),
    legit("Отопление заработало, спасибо администрации!"),
    legit("По 2 раза в день пропадает вода, с 8 до 10 утра и вечером"),
    legit("Отключали свет на 3 часа в день всю неделю, холодильник сломался"),
    legit("Вода ржавая из крана, фото прикладываю"),
    legit("В подъезде сильно пахнет газом, вызвали 04, ждём"),
    legit("Скажите, кто-нибудь знает номер аварийной службы? Затопило подвал"),
    legit("Лифт опять не работает, с утра застряли двое детей"),
    legit(
        "Объявление: в четверг с 9 до 17 плановое отключение холодной воды, "
        "информация с сайта водоканала"
    ),
    # money, bills
    legit("Подскажите, куда передавать показания счётчиков воды? Оплата через сбер проходит?"),
    legit("Пришёл счёт за воду в два раза больше обычного, у кого так же?"),
    legit("Деньги за капремонт собираем на спецсчёт или в общий котёл? Кто знает?"),
    legit("Где можно оплатить долг за отопление без комиссии?"),
    legit(
        "Управляющая компания выставила за содержание жилья 28 руб за кв. метр "
        "в месяц, это законно?"
    ),
    legit("Пенсия пришла, а за квартиру 6000 р в месяц отдаём, ужас"),
    legit("Тарифная ставка на вывоз мусора выросла, кто-нибудь знает почему?"),
    legit("Доход у пенсионеров маленький, а тарифы всё растут. Будем писать обращение?"),
    legit("Сдаём показания до 25 числа, не забудьте"),
    legit("Показания передаём в личном кабинете на сайте УК, там же квитанции"),
    legit("Арбитражный суд признал управляющую компанию банкротом, что теперь будет с домом?"),
    # yard, snow, garbage, roads
    legit("Двор не чистят от снега уже неделю, машину не выехать. Куда обращаться?"),
    legit("Мусорные контейнеры переполнены, мусор не вывозили с понедельника"),
    legit("Сколько стоит вывоз крупногабаритного мусора? В день вывоза кто-то звонит?"),
    legit("Уличное освещение на Школьной не работает, вечером идти страшно"),
    legit("Прошу администрацию обратить внимание на яму у остановки, вчера пробили колесо"),
    legit("Детская площадка сломана, качели висят на одной цепи, опасно"),
    legit("Соседи, кто оставил машину на газоне? Серая Лада, номер 123"),
    legit("Хочу выразить благодарность дворнику Ивану, отлично чистит снег!"),
    legit("Работа дворника у нас в доме вообще не видна, подъезд не моют месяц"),
    # neighbours, meetings
    legit(
        "Уважаемые соседи! Собрание собственников в субботу в 12:00 во дворе, "
        "повестка: выбор управляющей компании"
    ),
    legit("В субботу субботник! Собираемся в 10:00 у первого подъезда, грабли и мешки дадут"),
    legit(
        "Сегодня в 18:00 встреча с депутатом в школе №3, приходите, будем спрашивать про дорогу"
    ),
    legit("Подпишитесь, пожалуйста, под обращением о ремонте дороги, лист у консьержа"),
    legit("Давайте познакомимся, соседи! Я Марина из 34 квартиры, недавно переехали"),
    legit("Сосед сверху делает ремонт с 7 утра, даже в воскресенье. Законно ли это?"),
    legit("Подскажите хорошего электрика, в квартире выбивает автомат"),
    legit("Кто-нибудь продаёт картошку? Куплю мешок"),
    legit("Скиньте, пожалуйста, телефон диспетчерской"),
    legit("Спасибо!"),
    legit("Кто знает, будут ли ставить новые окна в подъезде по программе капремонта?"),
    legit("Напишите мне в личку, дам телефон хорошего сантехника"),
    legit("@ivan_petrov вы тоже из 45 квартиры? У вас тоже течёт?"),
    # links to allowed sites, e-mail addresses
    legit("Запись к врачу через госуслуги: https://www.gosuslugi.ru/10066/1"),
    legit("Официальная информация на сайте администрации kamgov.ru, там график отключений"),
    legit("На сайте муниципалитета опубликовали график вывоза мусора: https://kamgov.ru/news/55"),
    legit("Жалобу можно отправить на adm@kamgov.ru, т.е. прямо в приёмную главы"),
    legit("Как записаться на приём к главе? На госуслугах не нашла"),
    legit(
        "Внимание! 12 декабря плановое отключение электроэнергии с 9 до 15",
        forwarded_from_channel=True,
        forward_channel="kamgov_official",
    ),
    # long-time members: content rules are not run for them
    legit(
        "Посмотрите видео, как у нас во дворе прорвало трубу https://youtu.be/abcd",
        on_probation=False,
    ),
    legit("Пишите в личку, кому нужны контакты председателя ТСЖ", on_probation=False),
    legit(
        "Внимание! Завтра отключат газ с 10 до 14",
        on_probation=False,
        forwarded_from_channel=True,
        forward_channel="gorgaz_info",
    ),
    # the same question posted in two chats by one resident
    legit("Кто-нибудь знает, когда начнут чистить крыши от сосулек?", copies_in_other_chats=1),
)

CASES: tuple[Case, ...] = SPAM + LEGIT

# The deployment's own account and channel, as a town would configure them.
TABLE_POLICY = SpamPolicy(allowed_usernames=("kamgov_official",))
# A resident often posts the same complaint to the building chat and a topic chat, so two
# chats happen by accident; three do not. With min_chats=2 the last legitimate case above is
# flagged (bench/spam_rates.py prints both settings).
TABLE_MIN_CHATS = 3


@dataclass(frozen=True, slots=True)
class Rates:
    detection_rate: float
    false_positive_rate: float
    misses: tuple[Case, ...] = field(default=())
    false_positives: tuple[tuple[Case, SpamVerdict], ...] = field(default=())


SENT_AT = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def case_facts(case: Case, chat_id: int = 1, at: datetime = SENT_AT) -> MessageFacts:
    """The message of `case` as the handler would see it."""
    return MessageFacts(
        chat_id=chat_id,
        user_id=7,
        sent_at=at,
        text=case.text,
        urls=case.urls,
        mentions=case.mentions,
        forwarded_from_channel=case.forwarded_from_channel,
        forward_channel=case.forward_channel,
        has_contact=case.has_contact,
    )


def verdict_for(
    case: Case, policy: SpamPolicy, *, min_chats: int = TABLE_MIN_CHATS
) -> SpamVerdict:
    """Run a case the way the handler would: copies first, then the message itself."""
    sent_at = SENT_AT
    detector = DuplicateDetector(timedelta(minutes=10), min_chats=min_chats)

    def facts(chat_id: int, at: datetime) -> MessageFacts:
        return case_facts(case, chat_id, at)

    for copy in range(case.copies_in_other_chats):
        detector.observe(facts(100 + copy, sent_at - timedelta(minutes=3 - copy)))
    duplicate = detector.observe(facts(1, sent_at))
    if not should_check(case.on_probation):
        return CLEAN
    return check_message(facts(1, sent_at), policy, duplicate=duplicate)


def measure(
    cases: tuple[Case, ...] = CASES,
    policy: SpamPolicy = TABLE_POLICY,
    *,
    min_chats: int = TABLE_MIN_CHATS,
) -> Rates:
    misses: list[Case] = []
    false_positives: list[tuple[Case, SpamVerdict]] = []
    spam_total = legit_total = 0
    for case in cases:
        verdict = verdict_for(case, policy, min_chats=min_chats)
        if case.is_spam:
            spam_total += 1
            if not verdict.is_spam:
                misses.append(case)
        else:
            legit_total += 1
            if verdict.is_spam:
                false_positives.append((case, verdict))
    return Rates(
        detection_rate=(spam_total - len(misses)) / spam_total if spam_total else 1.0,
        false_positive_rate=len(false_positives) / legit_total if legit_total else 0.0,
        misses=tuple(misses),
        false_positives=tuple(false_positives),
    )


def report(rates: Rates) -> str:
    lines = [
        f"spam cases: {len(SPAM)}, legitimate cases: {len(LEGIT)}",
        f"detection rate: {rates.detection_rate:.1%} (missed {len(rates.misses)})",
        f"false-positive rate: {rates.false_positive_rate:.1%} "
        f"({len(rates.false_positives)} legitimate messages flagged)",
    ]
    lines += [f"  missed: {case.text[:70]!r}" for case in rates.misses]
    lines += [
        f"  flagged ({verdict.describe()}): {case.text[:60]!r}"
        for case, verdict in rates.false_positives
    ]
    return "\n".join(lines)
