"""Words for the demo-data generator: trades per cluster and value-chain position, brand words, offers and seeks.

Pure data. A firm's Thai name is trade_th + brand_th with no space ("ฟาร์มปลากัด" + "บางกอก"); its English name is
brand_en + " " + trade_en ("Bangkok Betta Farm"). blurb_th is one sentence with no final punctuation (the generator
appends the province and founding year); blurb_en is its translation and ends with a full stop.
"""

# cluster slug -> position -> [(trade_th, trade_en, blurb_th, blurb_en)]
CLUSTER_TRADES: dict[str, dict[str, list[tuple[str, str, str, str]]]] = {
    "agritech": {
        "upstream": [
            ("โรงงานถุงตากแห้งข้าว", "Rice Drying Bag Works",
             "ผลิตถุงตากแห้งข้าวแบบเคลื่อนย้ายได้ ช่วยลดเวลาตากข้าวเปลือกจาก 5 วันเหลือ 3 วัน และลดค่าแรงได้กว่าร้อยละ 40",
             "We make portable rice-drying bags that cut paddy drying time from five days to three and reduce "
             "labour costs by more than 40%."),
            ("ร้านเมล็ดพันธุ์", "Seed Store",
             "จำหน่ายเมล็ดพันธุ์ข้าวและพืชผักคุณภาพดีที่ผ่านการทดสอบความงอก พร้อมให้คำแนะนำการปลูกแก่เกษตรกร",
             "We sell quality, germination-tested rice and vegetable seed, with planting advice for farmers."),
            ("โรงงานปุ๋ยอินทรีย์", "Organic Fertiliser Plant",
             "ผลิตปุ๋ยอินทรีย์และปุ๋ยชีวภาพจากวัสดุเหลือใช้ทางการเกษตร ช่วยปรับปรุงดินและลดต้นทุนปุ๋ยเคมี",
             "We produce organic and bio-fertilisers from farm residues that improve the soil and cut chemical "
             "fertiliser costs."),
            ("โรงงานเครื่องจักรกลเกษตร", "Farm Machinery Works",
             "ออกแบบและผลิตเครื่องจักรกลเกษตรขนาดเล็ก เช่น เครื่องหยอดเมล็ดและเครื่องสีข้าวชุมชน รับสั่งทำตามขนาดแปลง",
             "We design and build small farm machines such as seeders and community rice mills, made to order "
             "for the size of your plot."),
            ("ร้านอุปกรณ์สมาร์ตฟาร์ม", "Smart Farm Supply",
             "จำหน่ายและติดตั้งเซนเซอร์วัดความชื้นดิน ระบบน้ำหยด และระบบควบคุมผ่านมือถือ สำหรับฟาร์มทุกขนาด",
             "We sell and install soil-moisture sensors, drip irrigation and phone-controlled systems for farms "
             "of every size."),
        ],
        "midstream": [
            ("โรงสีข้าว", "Rice Mill",
             "รับสีข้าวเปลือกจากเกษตรกรในพื้นที่ คัดแยกเกรดและบรรจุถุงตามมาตรฐาน พร้อมบริการอบลดความชื้น",
             "We mill paddy for local farmers, grade it and bag it to standard, and offer a moisture-drying "
             "service."),
            ("ศูนย์บริการโดรนเกษตร", "Agri Drone Services",
             "ให้บริการโดรนพ่นปุ๋ยและสารชีวภัณฑ์ พร้อมสำรวจแปลงด้วยภาพถ่ายทางอากาศ ช่วยประหยัดแรงงานและเวลา",
             "We spray fertiliser and bio-products by drone and survey fields from the air, saving labour and "
             "time."),
            ("ลานตากข้าว", "Paddy Drying Yard",
             "รับซื้อข้าวเปลือกความชื้นสูงจากเกษตรกร ตากแห้งด้วยถุงตากแห้งข้าว แล้วส่งต่อโรงสีในราคาที่เป็นธรรม",
             "We buy high-moisture paddy from farmers, dry it in rice-drying bags and sell it on to mills at "
             "fair prices."),
            ("ศูนย์ตรวจวิเคราะห์ดิน", "Soil Testing Centre",
             "รับตรวจวิเคราะห์ดินและน้ำ พร้อมแนะนำสูตรปุ๋ยที่เหมาะกับพืชและแปลงปลูก ช่วยให้ใช้ปุ๋ยได้ตรงจุด",
             "We test soil and water and recommend fertiliser formulas suited to each crop and plot, so "
             "fertiliser goes where it is needed."),
            ("โรงคัดบรรจุผักผลไม้", "Produce Packing House",
             "คัดเกรด ล้าง และบรรจุผักผลไม้สดตามมาตรฐาน GAP พร้อมห้องเย็นสำหรับพักสินค้าก่อนส่งตลาด",
             "We grade, wash and pack fresh produce to GAP standards, with cold rooms to hold goods before they "
             "go to market."),
        ],
        "downstream": [
            ("ร้านข้าวสาร", "Rice Shop",
             "จำหน่ายข้าวหอมมะลิและข้าวพื้นเมืองจากกลุ่มเกษตรกร ทั้งปลีกและส่ง พร้อมจัดส่งทั่วประเทศ",
             "We sell jasmine and heirloom rice from farmer groups, retail and wholesale, with delivery "
             "nationwide."),
            ("ตลาดเกษตรออนไลน์", "Online Farm Market",
             "เปิดร้านออนไลน์รวมผลผลิตจากเกษตรกรโดยตรง ขายผ่านเว็บไซต์ เฟซบุ๊ก และไลน์ พร้อมระบบสั่งซื้อล่วงหน้า",
             "We run an online shop selling produce direct from farmers through our website, Facebook and "
             "LINE, with pre-ordering."),
            ("ร้านเครื่องมือเกษตร", "Farm Tools Shop",
             "เป็นตัวแทนจำหน่ายถุงตากแห้งข้าว เครื่องมือ และอุปกรณ์การเกษตร พร้อมบริการหลังการขายถึงไร่นา",
             "We are dealers for rice-drying bags, farm tools and equipment, with after-sales service right to "
             "your fields."),
            ("ร้านผักอินทรีย์", "Organic Vegetable Shop",
             "จำหน่ายผักอินทรีย์ปลอดสารจากสมาชิกกลุ่ม ส่งตรงถึงร้านอาหาร โรงแรม และลูกค้าครัวเรือนทุกสัปดาห์",
             "We sell chemical-free organic vegetables from our group's members, delivered weekly to "
             "restaurants, hotels and households."),
            ("ศูนย์เรียนรู้เกษตรอัจฉริยะ", "Smart Farming Learning Centre",
             "จัดอบรมและสาธิตการใช้เทคโนโลยีเกษตร เช่น ถุงตากแห้งข้าวและระบบน้ำอัจฉริยะ ให้เกษตรกรและคณะศึกษาดูงาน",
             "We run training and demonstrations of farm technology, such as rice-drying bags and smart "
             "irrigation, for farmers and study groups."),
        ],
    },
    "betta": {
        "upstream": [
            ("ฟาร์มปลากัด", "Betta Farm",
             "เพาะพันธุ์ปลากัดสายพันธุ์แท้ ทั้งฮาล์ฟมูน คราวน์เทล และปลากัดป่า โดยคัดพ่อแม่พันธุ์เองทุกรุ่น",
             "We breed pure-line bettas, including halfmoon, crowntail and wild types, selecting our own "
             "broodstock for every generation."),
            ("โรงงานอาหารปลา", "Aqua Feed",
             "ผลิตอาหารปลากัดสูตรเร่งสีและเร่งโต ทั้งแบบเม็ดและไรแดงอบแห้ง บรรจุซองพร้อมส่งร้านค้าและฟาร์ม",
             "We make colour- and growth-enhancing betta food, as pellets and dried moina, packed in sachets "
             "ready for shops and farms."),
            ("ฟาร์มไรแดง", "Live Feed Farm",
             "เพาะเลี้ยงไรแดงและลูกน้ำสดสำหรับอนุบาลลูกปลากัด ส่งถึงฟาร์มในพื้นที่ใกล้เคียงทุกเช้า",
             "We culture live moina and mosquito larvae for raising betta fry, delivered to nearby farms every "
             "morning."),
            ("ร้านอุปกรณ์ปลากัด", "Betta Supplies",
             "จำหน่ายโหลปลากัด ตู้กระจก ใบหูกวางแห้ง และอุปกรณ์เพาะพันธุ์ครบชุด ในราคาส่งสำหรับฟาร์ม",
             "We sell betta jars, glass tanks, dried Indian almond leaves and complete breeding kits at "
             "wholesale prices for farms."),
            ("ศูนย์พัฒนาสายพันธุ์ปลากัด", "Betta Genetics Centre",
             "พัฒนาสายพันธุ์ปลากัดสีใหม่และลวดลายเฉพาะร่วมกับนักวิจัย พร้อมจำหน่ายพ่อแม่พันธุ์ให้ฟาร์มเครือข่าย",
             "We develop new betta colours and patterns with researchers and supply broodstock to partner "
             "farms."),
        ],
        "midstream": [
            ("ศูนย์คัดเกรดปลากัด", "Betta Grading Centre",
             "รับคัดเกรดและพักฟื้นปลากัดก่อนส่งออก ตรวจสี ครีบ และรูปทรงตามมาตรฐานปลากัด พร้อมถ่ายภาพประกอบทุกตัว",
             "We grade and condition bettas before export, checking colour, fins and form against the betta "
             "standard, with a photo of every fish."),
            ("ศูนย์บรรจุปลาสวยงาม", "Ornamental Fish Packing",
             "บรรจุปลากัดในถุงอัดออกซิเจนและกล่องโฟมกันกระแทก รองรับการขนส่งทางอากาศได้นานถึง 48 ชั่วโมง",
             "We pack bettas in oxygen-filled bags and shock-proof foam boxes that keep them safe on air "
             "journeys of up to 48 hours."),
            ("คลินิกสัตว์น้ำ", "Aquatic Vet Clinic",
             "ตรวจสุขภาพปลาและเตรียมเอกสารขอใบรับรองสุขภาพเพื่อการส่งออก พร้อมให้คำปรึกษาการป้องกันโรคในฟาร์ม",
             "We run fish health checks and prepare the paperwork for export health certificates, and advise "
             "farms on disease prevention."),
            ("ชิปปิ้งปลาสวยงาม", "Ornamental Fish Shipping",
             "ให้บริการชิปปิ้งและขนส่งปลาสวยงามไปต่างประเทศ ตั้งแต่พิธีการศุลกากรจนถึงการจองระวางเครื่องบิน",
             "We ship ornamental fish abroad, handling everything from customs clearance to booking air cargo "
             "space."),
            ("สตูดิโอถ่ายภาพปลากัด", "Betta Photo Studio",
             "ถ่ายภาพและวิดีโอปลากัดแบบมืออาชีพสำหรับลงขายออนไลน์และประมูล ช่วยให้ผู้ซื้อต่างประเทศเห็นสีจริง",
             "We shoot professional betta photos and videos for online sales and auctions, so overseas buyers "
             "see the true colours."),
        ],
        "downstream": [
            ("ศูนย์ส่งออกปลากัด", "Betta Export",
             "ส่งออกปลากัดเกรดประกวดและเกรดทั่วไปไปยังจีน อินเดีย และเยอรมนี รับออร์เดอร์ทั้งรายย่อยและรายใหญ่",
             "We export show-grade and standard-grade bettas to China, India and Germany, taking both small and "
             "large orders."),
            ("ร้านปลากัด", "Betta Shop",
             "จำหน่ายปลากัดสวยงามหลากสายพันธุ์ พร้อมโหลและอาหาร มีทั้งหน้าร้านและร้านออนไลน์ ส่งทั่วประเทศ",
             "We sell bettas of many varieties, with jars and food, in our shop and online, shipping "
             "nationwide."),
            ("สนามประกวดปลากัด", "Betta Show",
             "จัดประกวดปลากัดสวยงามตามมาตรฐานปลากัดไทย มีกรรมการผู้เชี่ยวชาญ และเปิดบูธให้ฟาร์มได้พบผู้ซื้อ",
             "We organise betta beauty contests to Thai betta standards, with expert judges and booths where "
             "farms meet buyers."),
            ("ตลาดประมูลปลากัด", "Betta Auction",
             "เปิดประมูลปลากัดออนไลน์ทุกสัปดาห์ พร้อมรับประกันการจัดส่ง ช่วยให้ฟาร์มเข้าถึงผู้ซื้อทั่วโลก",
             "We hold weekly online betta auctions with guaranteed delivery, helping farms reach buyers "
             "worldwide."),
            ("ร้านจัดตู้ปลา", "Aquascape Studio",
             "ออกแบบและจัดตู้ปลากัดพร้อมไม้น้ำสำหรับบ้าน ออฟฟิศ และคาเฟ่ พร้อมบริการดูแลตู้รายเดือน",
             "We design and set up betta tanks with live plants for homes, offices and cafés, with a monthly "
             "tank-care service."),
        ],
    },
    "health-retreatment": {
        "upstream": [
            ("สวนสมุนไพร", "Herb Garden",
             "ปลูกสมุนไพรอินทรีย์ เช่น ขมิ้นชัน ไพล ตะไคร้ และอัญชัน ส่งให้โรงงานและสปาทั้งแบบสดและแบบแห้ง",
             "We grow organic herbs such as turmeric, plai, lemongrass and butterfly pea, supplied fresh or "
             "dried to factories and spas."),
            ("โรงงานผลิตภัณฑ์สปา", "Spa Products",
             "ผลิตน้ำมันนวด สครับ และลูกประคบสมุนไพรไทย รับผลิตภายใต้แบรนด์ลูกค้า พร้อมช่วยยื่นจดแจ้ง อย. ให้ครบถ้วน",
             "We make massage oils, scrubs and Thai herbal compresses, and offer private-label production with "
             "help on Thai FDA notification."),
            ("โรงกลั่นน้ำมันหอมระเหย", "Essential Oil Distillery",
             "สกัดน้ำมันหอมระเหยจากพืชสมุนไพรไทยด้วยการกลั่นด้วยไอน้ำ ส่งให้สปา โรงแรม และผู้ผลิตเครื่องสำอาง",
             "We steam-distil essential oils from Thai herbs for spas, hotels and cosmetics makers."),
            ("โรงงานชาสมุนไพร", "Herbal Tea",
             "ผลิตชาสมุนไพรและเครื่องดื่มเพื่อสุขภาพจากวัตถุดิบในชุมชน ได้มาตรฐาน อย. พร้อมส่งรีสอร์ตและร้านค้า",
             "We produce herbal teas and health drinks from community-grown ingredients, Thai FDA approved, for "
             "resorts and shops."),
            ("ร้านอุปกรณ์สปา", "Spa Supplies",
             "จำหน่ายเตียงนวด ผ้าขนหนู ชุดพนักงาน และอุปกรณ์สปาครบวงจร สำหรับสปาและรีสอร์ตเพื่อสุขภาพที่เปิดใหม่",
             "We sell massage beds, towels, staff uniforms and everything else a new spa or wellness resort "
             "needs."),
        ],
        "midstream": [
            ("โรงเรียนสอนนวดแผนไทย", "Thai Massage School",
             "อบรมนวดแผนไทยและนวดเพื่อสุขภาพตามหลักสูตรที่ได้รับการรับรอง พร้อมส่งต่อนักบำบัดให้สปาและรีสอร์ต",
             "We teach Thai and wellness massage on accredited courses and place qualified therapists with spas "
             "and resorts."),
            ("คลินิกแพทย์แผนไทย", "Thai Traditional Medicine Clinic",
             "ตรวจรักษาด้วยการแพทย์แผนไทย นวด อบ ประคบ และออกแบบโปรแกรมดูแลสุขภาพให้ผู้เข้าพักของรีสอร์ตพันธมิตร",
             "We treat patients with Thai traditional medicine, massage, herbal steam and compresses, and design "
             "health programmes for partner resorts' guests."),
            ("สปา", "Spa",
             "ให้บริการสปาและนวดแผนไทยด้วยผลิตภัณฑ์สมุนไพรจากชุมชนในบรรยากาศสงบ รองรับทั้งลูกค้าทั่วไปและกรุ๊ปทัวร์",
             "We offer spa treatments and Thai massage with community-made herbal products in a calm setting, "
             "for walk-in guests and tour groups alike."),
            ("ศูนย์ฟื้นฟูสุขภาพ", "Health Recovery Centre",
             "ดูแลฟื้นฟูสุขภาพผู้สูงวัยและผู้ที่ต้องการพักฟื้น ด้วยกายภาพบำบัด โภชนาการ และการแพทย์แผนไทย",
             "We help older people and convalescents recover, with physiotherapy, nutrition and Thai "
             "traditional medicine."),
            ("ครัวอาหารสุขภาพ", "Healthy Kitchen",
             "ปรุงอาหารสุขภาพและอาหารคลีนจากผักอินทรีย์ในท้องถิ่น ส่งให้รีสอร์ตและโปรแกรมดีท็อกซ์ของพันธมิตร",
             "We cook healthy, clean meals from local organic vegetables for resorts and partners' detox "
             "programmes."),
        ],
        "downstream": [
            ("รีสอร์ตเพื่อสุขภาพ", "Wellness Resort",
             "ให้บริการที่พักท่ามกลางธรรมชาติ พร้อมโปรแกรมโยคะ สมาธิ และอาหารสุขภาพ สำหรับผู้เข้าพักทั้งชาวไทยและชาวต่างชาติ",
             "We offer stays in natural surroundings with yoga, meditation and healthy-eating programmes for "
             "Thai and international guests."),
            ("ทัวร์สุขภาพ", "Wellness Tours",
             "จัดแพ็กเกจท่องเที่ยวเชิงสุขภาพที่รวมที่พัก สปา และกิจกรรมในชุมชน สำหรับนักท่องเที่ยวชาวไทยและชาวต่างชาติ",
             "We put together wellness travel packages combining stays, spa treatments and community "
             "activities for Thai and foreign travellers."),
            ("ร้านของฝากสมุนไพร", "Herbal Gift Shop",
             "จำหน่ายผลิตภัณฑ์สมุนไพรและสปาจากชุมชนเป็นของฝากสำหรับนักท่องเที่ยว ทั้งหน้าร้านและช่องทางออนไลน์",
             "We sell community-made herbal and spa products as gifts for visitors, in store and online."),
            ("ศูนย์โยคะ", "Yoga Retreat",
             "จัดคอร์สโยคะและสมาธิแบบพักค้าง 3 ถึง 7 วัน ในบรรยากาศเงียบสงบ พร้อมอาหารมังสวิรัติทุกมื้อ",
             "We run residential yoga and meditation courses of three to seven days in a quiet setting, with "
             "vegetarian food at every meal."),
            ("โฮมสเตย์", "Homestay",
             "เปิดบ้านให้นักท่องเที่ยวสัมผัสวิถีชุมชน ทำลูกประคบ แช่น้ำสมุนไพร และกินอาหารพื้นบ้านเพื่อสุขภาพ",
             "We welcome visitors into our home to experience village life: making herbal compresses, soaking "
             "in herbal baths and eating healthy local food."),
        ],
    },
    "ornamental-plants": {
        "upstream": [
            ("ศูนย์เพาะเลี้ยงเนื้อเยื่อ", "Tissue Culture Lab",
             "ขยายพันธุ์กล้วยไม้และไม้ใบด้วยการเพาะเลี้ยงเนื้อเยื่อ ได้ต้นกล้าปลอดโรคจำนวนมาก ส่งให้สวนไม้ประดับทั่วประเทศ",
             "We propagate orchids and foliage plants by tissue culture, producing disease-free plantlets in "
             "quantity for nurseries nationwide."),
            ("สวนกล้วยไม้", "Orchid Nursery",
             "เพาะพันธุ์และเลี้ยงกล้วยไม้สกุลหวายและแวนดา ส่งต้นที่ออกดอกให้ร้านดอกไม้และผู้ส่งออกได้ตลอดปี",
             "We breed and grow Dendrobium and Vanda orchids, supplying flowering plants to florists and "
             "exporters all year round."),
            ("สวนไม้ใบ", "Foliage Nursery",
             "ปลูกไม้ใบและไม้ด่างยอดนิยม เช่น มอนสเตอรา ฟิโลเดนดรอน และอโกลนีมา ขายส่งให้ร้านต้นไม้และผู้ส่งออก",
             "We grow popular foliage and variegated plants such as monstera, philodendron and aglaonema, "
             "wholesale to plant shops and exporters."),
            ("โรงงานวัสดุปลูก", "Growing Media",
             "ผลิตวัสดุปลูกสำหรับไม้ประดับ ทั้งกาบมะพร้าวสับ ขุยมะพร้าว และดินผสมสูตรเฉพาะ ส่งสวนและร้านต้นไม้ทั่วประเทศ",
             "We produce growing media for ornamentals, including chopped coconut husk, coir dust and custom "
             "soil mixes, for nurseries and plant shops nationwide."),
            ("โรงปั้นกระถาง", "Pottery",
             "ปั้นกระถางดินเผาและกระถางดีไซน์สำหรับไม้ประดับ รับสั่งทำตามแบบให้ร้านต้นไม้และงานจัดสวน",
             "We make terracotta and designer pots for ornamental plants, made to order for plant shops and "
             "landscaping projects."),
        ],
        "midstream": [
            ("สวนอนุบาลกล้าไม้", "Plantlet Nursery",
             "รับต้นกล้าจากห้องแล็บมาอนุบาลในโรงเรือนจนแข็งแรง พร้อมจำหน่ายต่อให้ร้านต้นไม้และผู้ส่งออก",
             "We take plantlets from the lab and grow them on in our greenhouses until they are strong, ready "
             "for plant shops and exporters."),
            ("โรงคัดบรรจุไม้ตัดดอก", "Cut Flower Packing House",
             "คัดเกรด ตัดแต่ง และแช่น้ำยายืดอายุดอกไม้ ก่อนบรรจุกล่องเย็นส่งร้านดอกไม้และสนามบิน",
             "We grade, trim and treat flowers with preservative solution, then pack them in chilled boxes for "
             "florists and the airport."),
            ("ชิปปิ้งต้นไม้", "Plant Shipping",
             "ดูแลการส่งออกต้นไม้และกล้วยไม้ ตั้งแต่ขอใบรับรองสุขอนามัยพืชและใบอนุญาตไซเตส จนถึงจองระวางเครื่องบิน",
             "We manage exports of plants and orchids, from phytosanitary certificates and CITES permits to "
             "booking air cargo space."),
            ("ขนส่งต้นไม้", "Plant Express",
             "ให้บริการขนส่งต้นไม้และไม้ดอกด้วยรถควบคุมอุณหภูมิ ส่งถึงร้านค้าทั่วประเทศภายใน 1 ถึง 2 วัน",
             "We deliver plants and flowers in temperature-controlled trucks to shops nationwide within one to "
             "two days."),
            ("โรงงานดอกไม้อบแห้ง", "Dried Flower Works",
             "แปรรูปดอกไม้สดเป็นดอกไม้อบแห้งและดอกไม้ถนอมสภาพ ส่งให้ร้านของขวัญและผู้จัดงานแต่งงาน",
             "We turn fresh flowers into dried and preserved flowers for gift shops and wedding planners."),
        ],
        "downstream": [
            ("ร้านต้นไม้", "Plant Shop",
             "จำหน่ายไม้ประดับ ไม้ฟอกอากาศ และกระถางสวย ทั้งหน้าร้านและออนไลน์ พร้อมแนะนำวิธีดูแลให้ลูกค้าทุกคน",
             "We sell ornamental and air-purifying plants and attractive pots, in store and online, with care "
             "advice for every customer."),
            ("ร้านดอกไม้", "Florist",
             "รับจัดช่อดอกไม้ พวงหรีด และดอกไม้ตกแต่งงานพิธี โดยใช้ดอกไม้สดจากสวนในประเทศ ส่งถึงมือผู้รับ",
             "We arrange bouquets, wreaths and ceremony flowers from fresh Thai-grown blooms, delivered to the "
             "recipient's door."),
            ("ร้านจัดสวน", "Landscaping",
             "ออกแบบและจัดสวนสำหรับบ้าน คอนโด และโครงการ โดยใช้ไม้ประดับจากสวนเครือข่าย พร้อมบริการดูแลรายเดือน",
             "We design and build gardens for homes, condos and developments using plants from partner "
             "nurseries, with monthly maintenance."),
            ("ศูนย์ส่งออกกล้วยไม้", "Orchid Export",
             "ส่งออกกล้วยไม้ตัดดอกและต้นกล้วยไม้ไปญี่ปุ่น จีน และยุโรป ควบคุมคุณภาพทุกล็อตตั้งแต่สวนถึงปลายทาง",
             "We export cut orchids and orchid plants to Japan, China and Europe, controlling the quality of "
             "every lot from farm to destination."),
            ("ตลาดต้นไม้", "Plant Market",
             "เปิดพื้นที่ตลาดนัดต้นไม้ทุกสุดสัปดาห์ให้สวนและร้านค้ามาออกร้าน พร้อมจัดไลฟ์ขายออนไลน์",
             "We run a weekend plant market where nurseries and shops can set up stalls, with live online "
             "selling."),
        ],
    },
    "sport-economy": {
        "upstream": [
            ("โรงงานเสื้อกีฬา", "Sportswear Factory",
             "รับผลิตเสื้อกีฬาและชุดทีมด้วยผ้าระบายอากาศ พิมพ์ลายซับลิเมชัน ขั้นต่ำ 20 ตัว ส่งงานภายใน 14 วัน",
             "We make sports shirts and team kits in breathable fabric with sublimation printing, minimum 20 "
             "pieces, delivered within 14 days."),
            ("โรงงานอุปกรณ์มวยไทย", "Muay Thai Gear",
             "ผลิตนวม กางเกงมวย และเป้าล่อจากหนังแท้ด้วยฝีมือช่างไทย รับผลิตภายใต้แบรนด์ลูกค้าเพื่อส่งออก",
             "We make gloves, Muay Thai shorts and pads from genuine leather, crafted by Thai artisans, with "
             "private-label production for export."),
            ("โรงงานพื้นยางกีฬา", "Rubber Sports Flooring",
             "ผลิตพื้นยางสนามกีฬาและแผ่นยางปูพื้นฟิตเนสจากยางพาราไทย ทนทาน กันลื่น พร้อมรับติดตั้งทั่วประเทศ",
             "We make sports-court surfaces and gym floor mats from Thai natural rubber, durable and non-slip, "
             "and install them nationwide."),
            ("ร้านผ้ากีฬา", "Sports Fabrics",
             "จำหน่ายผ้าสำหรับชุดกีฬา เช่น ผ้าไมโครโพลีเอสเตอร์และผ้ายืดสแปนเด็กซ์ ขายส่งเป็นม้วนให้โรงงานและร้านตัดเสื้อกีฬา",
             "We sell sportswear fabrics such as micro-polyester and spandex stretch, wholesale by the roll to "
             "factories and sportswear tailors."),
            ("โรงงานโภชนาการกีฬา", "Sports Nutrition",
             "ผลิตเครื่องดื่มเกลือแร่และเวย์โปรตีนสำหรับนักกีฬา ผ่านมาตรฐาน อย. รับผลิตภายใต้แบรนด์ลูกค้า",
             "We produce electrolyte drinks and whey protein for athletes, Thai FDA approved, with private-label "
             "manufacturing."),
        ],
        "midstream": [
            ("ระบบจับเวลา", "Race Timing",
             "ให้บริการจับเวลาด้วยชิปสำหรับงานวิ่งและไตรกีฬา ประกาศผลแบบเรียลไทม์ และส่งภาพถ่ายนักวิ่งทางออนไลน์",
             "We provide chip timing for running and triathlon events, with live results and runner photos "
             "online."),
            ("ศูนย์วิทยาศาสตร์การกีฬา", "Sports Science Centre",
             "ทดสอบสมรรถภาพร่างกาย วิเคราะห์การเคลื่อนไหว และวางแผนฝึกซ้อมให้นักกีฬาและสโมสร โดยทีมนักวิทยาศาสตร์การกีฬา",
             "Our team of sports scientists tests fitness, analyses movement and plans training for athletes "
             "and clubs."),
            ("คลินิกกายภาพบำบัด", "Physio Clinic",
             "ดูแลอาการบาดเจ็บจากการเล่นกีฬาโดยนักกายภาพบำบัดที่มีใบอนุญาต พร้อมโปรแกรมฟื้นฟูให้กลับไปแข่งได้เร็ว",
             "Our licensed physiotherapists treat sports injuries and run rehab programmes that get athletes "
             "back to competition quickly."),
            ("ร้านพิมพ์เสื้อกีฬา", "Jersey Printing",
             "รับพิมพ์ชื่อ เบอร์ และโลโก้สปอนเซอร์ลงเสื้อกีฬา งานด่วนเสร็จใน 3 วัน สำหรับทีม สโมสร และงานแข่งขัน",
             "We print names, numbers and sponsor logos on jerseys for teams, clubs and events, with rush jobs "
             "done in three days."),
            ("โรงงานเหรียญรางวัล", "Medal Works",
             "ผลิตเหรียญรางวัล ถ้วยรางวัล และป้ายหมายเลขนักวิ่งสำหรับงานแข่งขัน พร้อมทีมออกแบบให้ฟรี",
             "We make medals, trophies and race bibs for sporting events, with free design by our in-house "
             "team."),
        ],
        "downstream": [
            ("ร้านอุปกรณ์กีฬา", "Sports Store",
             "จำหน่ายอุปกรณ์ฟุตบอล แบดมินตัน และวิ่ง ทั้งแบรนด์ไทยและต่างประเทศ ขายหน้าร้านและออนไลน์ พร้อมราคาพิเศษสำหรับโรงเรียน",
             "We sell football, badminton and running gear from Thai and international brands, in store and "
             "online, with special prices for schools."),
            ("มาราธอน", "Marathon",
             "จัดงานวิ่งมินิมาราธอนและฮาล์ฟมาราธอนในเมืองท่องเที่ยว ดึงนักวิ่งทั่วประเทศมาเที่ยวและใช้จ่ายในชุมชน",
             "We organise mini- and half-marathons in tourist towns, drawing runners from across Thailand to "
             "visit and spend in local communities."),
            ("ค่ายมวย", "Muay Thai Camp",
             "เปิดสอนมวยไทยให้นักท่องเที่ยวและนักมวยต่างชาติ มีทั้งคลาสรายวันและแพ็กเกจฝึกพร้อมที่พักรายเดือน",
             "We teach Muay Thai to tourists and foreign fighters, with day classes and monthly "
             "training-and-stay packages."),
            ("ฟิตเนส", "Fitness",
             "เปิดยิมพร้อมเทรนเนอร์ส่วนตัว คลาสออกกำลังกายแบบกลุ่ม และโปรแกรมลดน้ำหนัก สำหรับคนทำงานในเมือง",
             "We run a gym with personal trainers, group exercise classes and weight-loss programmes for city "
             "workers."),
            ("สนามหญ้าเทียม", "Football Arena",
             "ให้เช่าสนามฟุตบอลหญ้าเทียมรายชั่วโมง พร้อมจัดลีกสมัครเล่นและแข่งขันกระชับมิตรให้บริษัทและโรงเรียน",
             "We rent out artificial-turf football pitches by the hour and run amateur leagues and friendly "
             "matches for companies and schools."),
        ],
    },
    "bcg-fashion": {
        "upstream": [
            ("ไร่ฝ้ายอินทรีย์", "Organic Cotton Farm",
             "ปลูกฝ้ายพันธุ์พื้นเมืองแบบอินทรีย์โดยไม่ใช้สารเคมี เก็บและอีดฝ้ายด้วยมือ ส่งให้กลุ่มทอผ้าในชุมชน",
             "We grow native cotton organically without chemicals, picking and ginning it by hand for community "
             "weaving groups."),
            ("ฟาร์มหม่อนไหม", "Silk Farm",
             "ปลูกหม่อนและเลี้ยงไหมพันธุ์ไทย สาวเส้นไหมด้วยมือ จำหน่ายเส้นไหมให้ผู้ทอผ้าไหมทั่วประเทศ",
             "We grow mulberry and raise Thai silkworms, reeling the silk by hand and selling the yarn to silk "
             "weavers nationwide."),
            ("โรงงานเส้นใยรีไซเคิล", "Recycled Fibre Mill",
             "แปรรูปขวดพลาสติกและเศษผ้าเหลือใช้เป็นเส้นใยและเส้นด้ายรีไซเคิล ช่วยลดขยะและลดต้นทุนวัตถุดิบให้โรงงานสิ่งทอ",
             "We turn plastic bottles and textile waste into recycled fibre and yarn, cutting waste and "
             "material costs for textile mills."),
            ("ร้านสีธรรมชาติ", "Natural Dyes",
             "ผลิตสีย้อมจากธรรมชาติ เช่น คราม ครั่ง และเปลือกไม้ ทั้งแบบเนื้อครามและแบบผงสี พร้อมสอนเทคนิคการย้อม",
             "We make natural dyes such as indigo, lac and tree bark, as indigo paste and powder, and teach "
             "dyeing techniques."),
            ("โรงงานกระดุมกะลา", "Coconut Button Works",
             "ผลิตกระดุม หัวเข็มขัด และอุปกรณ์ตกแต่งเสื้อผ้าจากกะลามะพร้าวและไม้เหลือใช้ ทดแทนพลาสติก รับสั่งทำตามแบบ",
             "We make buttons, buckles and garment trims from coconut shell and reclaimed wood to replace "
             "plastic, made to your design."),
        ],
        "midstream": [
            ("ผ้าทอ", "Handweaving",
             "ช่างทอในชุมชนทอผ้าฝ้ายและผ้าไหมด้วยกี่พื้นบ้าน รับทอตามลายและสีที่ลูกค้ากำหนด",
             "Our village weavers handweave cotton and silk on traditional looms, to the patterns and colours "
             "you specify."),
            ("โรงย้อมคราม", "Indigo Dye House",
             "รับย้อมผ้าและเส้นด้ายด้วยครามและสีจากพืช ปลอดสารเคมีอันตราย สีติดทน รับทั้งงานชิ้นเดียวและงานล็อตใหญ่",
             "We dye fabric and yarn with indigo and plant colours, free of harmful chemicals and colour-fast, "
             "from single pieces to large lots."),
            ("โรงงานตัดเย็บ", "Garment Workshop",
             "รับตัดเย็บเสื้อผ้าจากผ้าทอมือและผ้ารีไซเคิล ขั้นต่ำ 50 ชิ้น โดยช่างมีประสบการณ์ ตรวจคุณภาพทุกชิ้นก่อนส่ง",
             "We sew garments from handwoven and recycled fabrics, minimum 50 pieces, with experienced tailors "
             "and every piece checked before dispatch."),
            ("สตูดิโอออกแบบแฟชั่น", "Fashion Design Studio",
             "ออกแบบคอลเลกชันเสื้อผ้าและกระเป๋าจากผ้าพื้นเมืองให้ดูร่วมสมัย เข้ากับตลาดคนรุ่นใหม่และตลาดต่างประเทศ",
             "We design clothing and bag collections from traditional Thai textiles with a contemporary look "
             "for young and overseas markets."),
            ("โรงงานอัปไซเคิล", "Upcycling Workshop",
             "นำเศษผ้าและเสื้อผ้ามือสองมาออกแบบใหม่เป็นกระเป๋า ของแต่งบ้าน และของที่ระลึก ช่วยลดขยะสิ่งทอ",
             "We redesign fabric offcuts and second-hand clothes into bags, homeware and souvenirs, reducing "
             "textile waste."),
        ],
        "downstream": [
            ("ร้านผ้าทอมือ", "Handwoven Textiles",
             "จำหน่ายผ้าทอมือย้อมสีธรรมชาติจากกลุ่มทอผ้าภาคเหนือและภาคอีสาน ทั้งผ้าผืน ผ้าพันคอ และเสื้อผ้าสำเร็จรูป",
             "We sell naturally dyed handwoven textiles from weaving groups in the North and Northeast: "
             "lengths of cloth, scarves and ready-to-wear."),
            ("ห้องเสื้อ", "Atelier",
             "ออกแบบและจำหน่ายเสื้อผ้าสไตล์ร่วมสมัยจากผ้าทอมือและผ้าย้อมธรรมชาติ พร้อมรับตัดชุดตามสั่งสำหรับงานพิเศษ",
             "We design and sell contemporary clothes in handwoven, naturally dyed fabrics, and tailor outfits "
             "to order for special occasions."),
            ("ร้านเสื้อผ้ามือสอง", "Pre-Loved Fashion",
             "คัดเสื้อผ้ามือสองสภาพดีมาซ่อมแซมและจำหน่ายใหม่ ทั้งหน้าร้านและไลฟ์สด ช่วยยืดอายุเสื้อผ้าและลดขยะ",
             "We pick good second-hand clothes, repair them and resell them in store and on live streams, "
             "extending their life and cutting waste."),
            ("ร้านกระเป๋าผ้า", "Eco Bags",
             "จำหน่ายกระเป๋าและของใช้จากผ้าทอมือและผ้ารีไซเคิล ขายส่งให้ร้านของฝาก โรงแรม และองค์กรที่ต้องการของที่ระลึกรักษ์โลก",
             "We sell bags and accessories made from handwoven and recycled fabric, wholesale to gift shops, "
             "hotels and organisations wanting eco-friendly souvenirs."),
            ("ศูนย์ส่งออกผ้าทอ", "Textile Export",
             "ส่งออกผ้าไหมและผ้าฝ้ายทอมือไปญี่ปุ่นและยุโรป พร้อมข้อมูลตรวจสอบย้อนกลับและใบรับรองสิ่งทออินทรีย์",
             "We export handwoven silk and cotton to Japan and Europe, with traceability records and organic "
             "textile certification."),
        ],
    },
    "coconut-pineapple-garlic": {
        "upstream": [
            ("สวนมะพร้าวน้ำหอม", "Aromatic Coconut Farm",
             "ปลูกมะพร้าวน้ำหอมตามมาตรฐาน GAP ตัดผลอ่อนส่งโรงงานและผู้ส่งออกทุกสัปดาห์ คัดความหวานทุกทะลาย",
             "We grow GAP-certified aromatic coconuts and harvest young fruit weekly for processors and "
             "exporters, checking the sweetness of every bunch."),
            ("สวนมะพร้าว", "Coconut Plantation",
             "ปลูกมะพร้าวแกงสำหรับทำกะทิและน้ำมันมะพร้าว ส่งผลแก่ให้โรงงานในท้องถิ่นทุกเดือน",
             "We grow mature cooking coconuts for coconut milk and oil, supplying local processors every "
             "month."),
            ("ไร่สับปะรด", "Pineapple Farm",
             "ปลูกสับปะรดพันธุ์ปัตตาเวียและภูแล วางแผนปลูกเป็นรุ่นเพื่อส่งโรงงานแปรรูปและตลาดผลไม้สดได้ตลอดปี",
             "We grow Pattavia and Phulae pineapples, planting in staggered batches to supply canneries and "
             "fresh-fruit markets all year round."),
            ("ไร่กระเทียม", "Garlic Farm",
             "ปลูกกระเทียมไทยกลีบเล็กกลิ่นฉุน ตากแห้งและมัดจุกแบบดั้งเดิม ส่งโรงงานกระเทียมดำและตลาดค้าส่ง",
             "We grow pungent small-clove Thai garlic, dried and tied in bundles the traditional way, for "
             "black-garlic makers and wholesale markets."),
            ("ร้านวัสดุการเกษตร", "Agri Supply",
             "จำหน่ายปุ๋ย หน่อพันธุ์สับปะรด และต้นพันธุ์มะพร้าวคุณภาพ พร้อมให้คำแนะนำการจัดการสวนแก่สมาชิกคลัสเตอร์",
             "We sell fertiliser, pineapple suckers and quality coconut seedlings, with orchard-management "
             "advice for cluster members."),
        ],
        "midstream": [
            ("โรงงานน้ำมันมะพร้าว", "Coconut Oil Mill",
             "ผลิตน้ำมันมะพร้าวสกัดเย็นบริสุทธิ์ได้มาตรฐาน อย. รับผลิตภายใต้แบรนด์ลูกค้าทั้งขวดเล็กและแกลลอน",
             "We produce Thai FDA-approved cold-pressed virgin coconut oil, with private-label production in "
             "small bottles and gallon containers."),
            ("โรงงานสับปะรดกระป๋อง", "Pineapple Cannery",
             "แปรรูปสับปะรดกระป๋อง น้ำสับปะรด และสับปะรดอบแห้ง ได้มาตรฐาน GMP และ HACCP ผลิตตามข้อกำหนดของผู้ส่งออก",
             "We produce canned pineapple, pineapple juice and dried pineapple to GMP and HACCP standards, made "
             "to exporters' specifications."),
            ("โรงงานกระเทียมดำ", "Black Garlic Works",
             "บ่มกระเทียมไทยเป็นกระเทียมดำด้วยเครื่องควบคุมอุณหภูมิ รสหวานนุ่ม ขายส่งทั้งแบบทั้งหัวและแบบแกะกลีบ",
             "We age Thai garlic into sweet, soft black garlic in temperature-controlled chambers, sold "
             "wholesale as whole bulbs or peeled cloves."),
            ("โรงงานกะทิ", "Coconut Milk Factory",
             "ผลิตกะทิสดและกะทิกล่องจากมะพร้าวแกงคัดพิเศษ ส่งร้านอาหาร โรงแรม และร้านขนมไทยทุกวัน",
             "We produce fresh and boxed coconut milk from selected mature coconuts, delivered daily to "
             "restaurants, hotels and Thai dessert shops."),
            ("ล้งมะพร้าว", "Coconut Packing House",
             "รับซื้อมะพร้าวน้ำหอมจากสวน นำมาปอก ควั่น และเคลือบผิวเพื่อส่งออก พร้อมห้องเย็นเก็บรักษาความสด",
             "We buy aromatic coconuts from farms, then trim, shape and coat them for export, with cold storage "
             "to keep them fresh."),
        ],
        "downstream": [
            ("ร้านของฝาก", "Souvenir Shop",
             "จำหน่ายของฝากจากมะพร้าว สับปะรด และกระเทียม เช่น ขนม แยม และกระเทียมดอง มีหน้าร้านริมทางและขายออนไลน์",
             "We sell coconut, pineapple and garlic gifts such as snacks, jams and pickled garlic, at our "
             "roadside shop and online."),
            ("ศูนย์ส่งออกผลไม้", "Fruit Export",
             "ส่งออกมะพร้าวน้ำหอมและสับปะรดสดไปจีน ยุโรป และตะวันออกกลาง ดูแลเอกสารส่งออกและคุมอุณหภูมิตลอดเส้นทาง",
             "We export aromatic coconuts and fresh pineapples to China, Europe and the Middle East, handling "
             "the export paperwork and keeping the cold chain intact."),
            ("คาเฟ่มะพร้าว", "Coconut Café",
             "เสิร์ฟเมนูมะพร้าวและสับปะรด เช่น ไอศกรีมกะทิ น้ำมะพร้าวปั่น และเค้กมะพร้าว จากวัตถุดิบของสวนสมาชิก",
             "We serve coconut and pineapple treats such as coconut-milk ice cream, coconut smoothies and "
             "coconut cake, made with produce from member farms."),
            ("ร้านขายส่งกระเทียม", "Garlic Wholesale",
             "ขายส่งกระเทียมไทยและกระเทียมดำให้ร้านอาหาร โรงงานเครื่องปรุง และตลาดสด ส่งของสม่ำเสมอทุกสัปดาห์",
             "We supply Thai garlic and black garlic wholesale to restaurants, seasoning factories and fresh "
             "markets, with steady weekly deliveries."),
            ("ร้านสินค้าสุขภาพ", "Health Store",
             "จำหน่ายน้ำมันมะพร้าวสกัดเย็น กระเทียมดำ และผลิตภัณฑ์สุขภาพจากคลัสเตอร์ ทั้งร้านออนไลน์และร้านในห้าง",
             "We sell cold-pressed coconut oil, black garlic and other health products from the cluster, online "
             "and in shopping malls."),
        ],
    },
    "cosplay": {
        "upstream": [
            ("ร้านผ้าคอสเพลย์", "Cosplay Fabrics",
             "จำหน่ายผ้าสำหรับชุดคอสเพลย์ ทั้งผ้าซาติน ผ้าหนังเทียม และผ้ายืดสี่ทาง มีให้เลือกมากกว่า 200 เฉดสี",
             "We sell fabric for cosplay costumes, including satin, faux leather and four-way stretch, in more "
             "than 200 shades."),
            ("ร้านวิกผม", "Wig Supply",
             "นำเข้าและจำหน่ายวิกทนความร้อนสำหรับคอสเพลย์ ตัดและจัดทรงตามตัวละครได้ ราคาส่งสำหรับร้านเช่าชุด",
             "We import and sell heat-resistant cosplay wigs that can be cut and styled to match any character, "
             "at wholesale prices for costume rental shops."),
            ("ร้านวัสดุพร็อพ", "Prop Materials",
             "จำหน่ายโฟมอีวีเอ เทอร์โมพลาสติก เรซิน และสีสำหรับงานพร็อพ พร้อมสอนเทคนิคการขึ้นรูปสำหรับมือใหม่",
             "We sell EVA foam, thermoplastics, resin and paints for prop making, and teach forming techniques "
             "to beginners."),
            ("ร้านพิมพ์สามมิติ", "3D Printing",
             "รับพิมพ์ชิ้นงานสามมิติด้วยเครื่องพิมพ์เรซินและเส้นพลาสติก สำหรับพร็อพ อาวุธจำลอง และเครื่องประดับชุด",
             "We 3D-print parts in resin and plastic filament for props, replica weapons and costume "
             "accessories."),
            ("โรงงานพิมพ์ผ้า", "Fabric Printing",
             "รับพิมพ์ลายลงผ้าแบบดิจิทัลตามไฟล์ของลูกค้า เหมาะกับชุดคอสเพลย์ที่มีลายละเอียด สั่งได้ตั้งแต่หนึ่งหลา",
             "We digitally print your designs onto fabric, ideal for detailed cosplay patterns, with orders "
             "from one yard."),
        ],
        "midstream": [
            ("ร้านตัดชุดคอสเพลย์", "Cosplay Tailor",
             "รับตัดชุดคอสเพลย์ตามสั่งจากภาพตัวละคร วัดตัวที่ร้านหรือส่งขนาดทางไลน์ได้ ใช้เวลาผลิตประมาณ 3 ถึง 4 สัปดาห์",
             "We make cosplay costumes to order from character images, measured in our shop or from sizes sent "
             "over LINE, in about three to four weeks."),
            ("โรงงานพร็อพ", "Prop Works",
             "รับทำพร็อพ ชุดเกราะ และอาวุธจำลองจากโฟมและเรซิน น้ำหนักเบาและปลอดภัยตามกฎของงานอีเวนต์",
             "We make props, armour and replica weapons from foam and resin, lightweight and safe under event "
             "rules."),
            ("สตูดิโอถ่ายภาพ", "Photo Studio",
             "ให้เช่าสตูดิโอพร้อมฉากและไฟสำหรับถ่ายคอสเพลย์ มีช่างภาพและช่างแต่งหน้าประจำ จองได้เป็นรายชั่วโมง",
             "We rent out studios with sets and lighting for cosplay shoots, with resident photographers and "
             "make-up artists, bookable by the hour."),
            ("ทีมช่างภาพ", "Photography",
             "รับถ่ายภาพคอสเพลย์นอกสถานที่และในงานอีเวนต์ ตกแต่งภาพอย่างประณีต ส่งไฟล์ความละเอียดสูงภายใน 7 วัน",
             "We shoot cosplay on location and at events, with careful retouching and high-resolution files "
             "delivered within seven days."),
            ("ร้านจัดทรงวิก", "Wig Styling",
             "รับตัด ดัด และจัดทรงวิกให้เหมือนตัวละคร รวมถึงซ่อมวิกเก่าให้กลับมาใช้งานได้อีกครั้ง",
             "We cut, curl and style wigs to match characters, and repair old wigs so they can be worn again."),
        ],
        "downstream": [
            ("เทศกาลคอสเพลย์", "Cosplay Festival",
             "จัดงานอีเวนต์และการประกวดคอสเพลย์ระดับประเทศ มีบูธสำหรับร้านค้าและครีเอเตอร์ พร้อมส่งตัวแทนไปแข่งเวทีต่างประเทศ",
             "We organise cosplay events and national contests, with booths for shops and creators, and send "
             "representatives to compete abroad."),
            ("ร้านเช่าชุดคอสเพลย์", "Costume Rental",
             "ให้เช่าชุดคอสเพลย์พร้อมวิกและพร็อพกว่า 500 ตัวละคร เช่าเป็นรายวัน ส่งและรับคืนทางไปรษณีย์ได้ทั่วประเทศ",
             "We rent out complete cosplay outfits with wigs and props for more than 500 characters, by the "
             "day, with postal delivery and return nationwide."),
            ("ร้านสินค้าคอสเพลย์", "Cosplay Store",
             "จำหน่ายชุดคอสเพลย์สำเร็จรูป วิก และของสะสมจากอนิเมะและเกม ทั้งหน้าร้านและออนไลน์ พร้อมส่งต่างประเทศ",
             "We sell ready-made cosplay outfits, wigs and collectibles from anime and games, in store and "
             "online, with international shipping."),
            ("สตูดิโอคอนเทนต์", "Content Studio",
             "ผลิตคลิปและไลฟ์สดเกี่ยวกับคอสเพลย์ รับรีวิวสินค้า และจับคู่คอสเพลเยอร์กับแบรนด์ที่ต้องการทำการตลาด",
             "We produce cosplay videos and live streams, review products and match cosplayers with brands "
             "for marketing campaigns."),
            ("สถาบันสอนคอสเพลย์", "Cosplay Academy",
             "เปิดคอร์สสอนแต่งหน้า ตัดชุด และทำพร็อพสำหรับคอสเพลย์ ทั้งแบบตัวต่อตัวและเวิร์กช็อปกลุ่มในวันหยุด",
             "We teach cosplay make-up, costume making and prop making, one-to-one or in weekend group "
             "workshops."),
        ],
    },
}

# (brand_th, brand_en): generic words Thai SMEs use in trade names; none is a known company or trademark.
BRANDS: list[tuple[str, str]] = [
    ("บางกอก", "Bangkok"), ("ทองดี", "Thongdee"), ("ศรีสุข", "Srisuk"), ("เจริญผล", "Charoenphon"),
    ("สยาม", "Siam"), ("บ้านสวน", "Baan Suan"), ("อันดามัน", "Andaman"), ("ล้านนา", "Lanna"),
    ("รุ่งเรือง", "Rungruang"), ("มั่นคง", "Mankong"), ("ทวีทรัพย์", "Thaweesap"), ("พูนผล", "Poonphon"),
    ("เพชรงาม", "Phetngam"), ("แสงทอง", "Saengthong"), ("ดาวเรือง", "Daoruang"), ("รวงข้าว", "Ruangkhao"),
    ("ทุ่งทอง", "Thungthong"), ("บ้านไร่", "Baan Rai"), ("ภูผา", "Phupha"), ("ริมน้ำ", "Rim Nam"),
    ("สองพี่น้อง", "Song Phi Nong"), ("นาคา", "Naka"), ("มณี", "Manee"), ("ทองคำ", "Thongkham"),
    ("ร่มเย็น", "Romyen"), ("สุขใจ", "Sukjai"), ("อิ่มสุข", "Imsuk"), ("ใบเขียว", "Bai Khiao"),
    ("ไพลิน", "Pailin"), ("มรกต", "Morakot"), ("ทับทิม", "Thapthim"), ("นพรัตน์", "Noppharat"),
    ("ศรีนคร", "Srinakhon"), ("ชัยมงคล", "Chaimongkol"), ("โชคดี", "Chokdee"), ("เจริญสุข", "Charoensuk"),
    ("วังทอง", "Wangthong"), ("ธารทอง", "Thanthong"), ("ฟ้าใส", "Fasai"), ("ตะวัน", "Tawan"),
    ("จันทร์เพ็ญ", "Chanpen"), ("ดาวเหนือ", "Dao Nuea"), ("สายรุ้ง", "Sairung"), ("อีสาน", "Isan"),
    ("ปักษ์ใต้", "Paktai"), ("เจ้าพระยา", "Chao Phraya"), ("บ้านทุ่ง", "Baan Thung"), ("บ้านนา", "Baan Na"),
    ("สวนขวัญ", "Suan Khwan"), ("ไทยเจริญ", "Thai Charoen"), ("ไทยสมบูรณ์", "Thai Somboon"),
    ("สมบูรณ์ผล", "Somboonphon"), ("ร่วมใจ", "Ruamjai"), ("รวมมิตร", "Ruammit"), ("ก้าวหน้า", "Kaona"),
    ("ทองไทย", "Thongthai"), ("แก้วใส", "Kaewsai"), ("เรือนไทย", "Ruean Thai"), ("หอมกรุ่น", "Homkrun"),
    ("ขวัญใจ", "Khwanjai"), ("ยิ้มแย้ม", "Yimyaem"), ("ดีเลิศ", "Deelert"), ("เลิศล้ำ", "Lertlam"),
    ("ปัญญา", "Panya"), ("ศิริมงคล", "Sirimongkol"), ("นำชัย", "Namchai"), ("ชัยพฤกษ์", "Chaiyaphruek"),
    ("ราชพฤกษ์", "Ratchaphruek"), ("กาญจนา", "Kanchana"), ("พิกุล", "Phikul"), ("จำปา", "Champa"),
    ("บัวทอง", "Bua Thong"), ("ลีลาวดี", "Leelawadee"), ("มะลิ", "Mali"), ("ชบา", "Chaba"),
    ("ทานตะวัน", "Thantawan"), ("สุวรรณ", "Suwan"), ("อรุณ", "Arun"), ("รุ่งอรุณ", "Rung Arun"),
    ("คุ้มเกล้า", "Khumklao"), ("แม่ปิง", "Mae Ping"), ("เขาใหญ่", "Khao Yai"), ("ทะเลแก้ว", "Thale Kaeo"),
    ("บ้านสุข", "Baan Suk"),
]

# position -> [(th, en)]: what a firm at that point of the value chain puts on the table for cluster partners.
OFFERS: dict[str, list[tuple[str, str]]] = {
    "upstream": [
        ("วัตถุดิบคุณภาพสม่ำเสมอ", "Raw materials of consistent quality"),
        ("ราคาส่งสำหรับสมาชิกคลัสเตอร์", "Wholesale prices for cluster members"),
        ("ผลิตตามข้อกำหนดของลูกค้า", "Production to customer specifications"),
        ("วางแผนการผลิตล่วงหน้าร่วมกับคู่ค้า", "Production planned ahead with partners"),
        ("ส่งตัวอย่างให้ทดลองก่อนสั่งซื้อ", "Samples to try before you order"),
    ],
    "midstream": [
        ("รับจ้างผลิตและแปรรูปตามสั่ง", "Contract manufacturing and processing"),
        ("คัดเกรดและบรรจุได้ตามมาตรฐาน", "Grading and packing to standard"),
        ("บริการขนส่งพร้อมจัดการเอกสาร", "Transport with paperwork handled"),
        ("ช่วยเตรียมการขอมาตรฐานและใบรับรอง", "Help preparing for standards and certification"),
        ("รับงานทั้งล็อตเล็กและล็อตใหญ่", "Small and large batches welcome"),
    ],
    "downstream": [
        ("ช่องทางขายทั้งหน้าร้านและออนไลน์", "Sales channels in store and online"),
        ("เครือข่ายผู้ซื้อต่างประเทศ", "A network of overseas buyers"),
        ("พื้นที่ออกบูธในงานแสดงสินค้า", "Booth space at trade fairs"),
        ("ข้อมูลความต้องการของตลาด", "Insight into market demand"),
        ("คำสั่งซื้อประจำในปริมาณที่แน่นอน", "Regular orders in committed volumes"),
    ],
}

# position -> [(th, en)]: what a firm at that point of the value chain is looking for from cluster partners.
SEEKS: dict[str, list[tuple[str, str]]] = {
    "upstream": [
        ("หาผู้รับซื้อผลผลิตระยะยาว", "Looking for long-term buyers for our output"),
        ("หาโรงงานแปรรูปเพื่อเพิ่มมูลค่า", "Looking for processors to add value"),
        ("หาแหล่งทุนเพื่อขยายกำลังการผลิต", "Seeking finance to expand capacity"),
        ("หาผู้เชี่ยวชาญช่วยลดต้นทุนการผลิต", "Looking for experts to help cut production costs"),
        ("หาช่องทางตลาดใหม่", "Looking for new market channels"),
    ],
    "midstream": [
        ("หาแหล่งวัตถุดิบที่ส่งได้ต่อเนื่อง", "Looking for a steady supply of raw materials"),
        ("หาลูกค้าจ้างผลิตหรือแปรรูป", "Looking for clients for contract production or processing"),
        ("หาพันธมิตรด้านขนส่ง", "Looking for logistics partners"),
        ("หาเครื่องจักรหรือเทคโนโลยีเพิ่มประสิทธิภาพ", "Looking for machinery or technology to raise efficiency"),
        ("หาผู้ซื้อรายใหญ่หรือผู้ส่งออก", "Looking for large buyers or exporters"),
    ],
    "downstream": [
        ("หาผู้ผลิตที่ส่งของได้สม่ำเสมอ", "Looking for producers with steady supply"),
        ("หาสินค้าใหม่ที่มีเรื่องราวและได้มาตรฐาน", "Looking for new, certified products with a story"),
        ("หาผู้รับผลิตสินค้าภายใต้แบรนด์ของเรา", "Looking for private-label manufacturers"),
        ("หาพันธมิตรร่วมออกงานแสดงสินค้า", "Looking for partners to exhibit at trade fairs together"),
        ("หาพันธมิตรด้านการตลาดออนไลน์", "Looking for online marketing partners"),
    ],
}
